"""Which school owns which entries, whose record a school's leaders may read, and what waits for their
review. A school acts only on what it owns, and reads the rest only while the person shares it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import exists, select

from app.content.model import Catalogue
from app.extensions import db
from app.models import LedgerEntry, Membership, School, User
from app.records import sharing
from app.records.cpd import CpdRecord, RecordEntry, owned_by
from app.records.ledger import EntryKind
from app.records.reading import _names_of, build_record
from app.records.terms import DECISION_KINDS, EXTERNAL_KINDS

log = logging.getLogger(__name__)

# ---- which school owns what -----------------------------------------------------------------------


def as_seen_by(record: CpdRecord, school: School, *, shared: bool) -> CpdRecord:
    """The record as a school sees it: its own part, and the rest only while the person shares it.

    What the person shares is their own record: another school's leaders who decided on it are not the
    person's to share, so they are named only as "another school".
    """
    entries = record.entries if shared else [entry for entry in record.entries if owned_by(entry, school)]
    for entry in entries:
        if not owned_by(entry, school) and entry.recorded_by_name and entry.entry.recorded_by_id != record.user.id:
            entry.recorded_by_name = "another school"
            if entry.kind in DECISION_KINDS:
                verb = "Verified" if entry.kind == EntryKind.ENTRY_VERIFIED.value else "Rejected"
                entry.title = f"{verb} at another school"
            elif entry.kind == EntryKind.CERTIFICATE_VOIDED.value:
                entry.title = "Certificate voided at another school"
    return CpdRecord(
        user=record.user,
        entries=entries,
        broken=record.broken,
        today=record.today,
        year=record.year,
        kind=record.kind,
        seen_by_school=school,
        shared_with_school=shared,
    )


def record_for_school(
    person: User,
    school: School,
    *,
    catalogue: Catalogue | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> CpdRecord:
    """A person's record for one of their school's leaders to read (`person_at_school_or_404` first)."""
    record = build_record(person, catalogue=catalogue, year=year, kind=kind)
    return as_seen_by(record, school, shared=sharing.is_shared(person.id, school.id))


def visible_entry_or_404(record: CpdRecord, entry_id: int) -> RecordEntry:
    entry = record.find(entry_id)
    if entry is None:
        abort(404)
    return entry


def owned_entry_or_404(record: CpdRecord, entry_id: int) -> RecordEntry:
    """An entry the reading school owns. Another school's (even one the person shares) is 'not found'."""
    entry = visible_entry_or_404(record, entry_id)
    if record.seen_by_school is None or not owned_by(entry, record.seen_by_school):
        abort(404)
    return entry


# ---- whose record may be read ---------------------------------------------------------------------


def _works_at(school: School, today: date):
    """A condition: the ledger entry's person has a current role at the school."""
    return exists().where(
        Membership.user_id == LedgerEntry.user_id,
        Membership.school_id == school.id,
        Membership.is_current(today),
    )


def person_at_school_or_404(school: School, user_id: int, today: date | None = None) -> User:
    """Someone with a current role at the school; anyone else (another school's person) is 'not found'."""
    today = today or date.today()
    user = db.session.scalars(
        select(User).where(
            User.id == user_id,
            exists().where(
                Membership.user_id == User.id,
                Membership.school_id == school.id,
                Membership.is_current(today),
            ),
        )
    ).first()
    if user is None:
        abort(404)
    return user


def staff_entry_or_404(school: School, entry_id: int, kinds: tuple[str, ...]) -> tuple[LedgerEntry, User]:
    """An entry of one of the kinds on the record of someone currently at the school, with its person."""
    today = date.today()
    row = db.session.execute(
        select(LedgerEntry, User)
        .join(User, User.id == LedgerEntry.user_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind.in_(kinds), _works_at(school, today))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def own_entry_or_404(user_id: int, entry_id: int, kinds: tuple[str, ...]) -> LedgerEntry:
    """An entry of one of the kinds on the person's own record; anyone else's is 'not found'."""
    entry = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.id == entry_id, LedgerEntry.user_id == user_id, LedgerEntry.kind.in_(kinds)
        )
    ).first()
    if entry is None:
        abort(404)
    return entry


@dataclass(frozen=True)
class AwaitingReview:
    person_id: int
    person_name: str
    entry: RecordEntry


def awaiting_review(school: School, *, reviewer_id: int, today: date | None = None) -> list[AwaitingReview]:
    """External CPD of the school's current people (not the reviewer's own) still to be verified.

    Two queries whatever the school's size: the external CPD entries with their decisions, and the
    names of the leaders who decided.
    """
    today = today or date.today()
    kinds = (*EXTERNAL_KINDS, *DECISION_KINDS)
    rows = db.session.execute(
        select(LedgerEntry, User)
        .join(User, User.id == LedgerEntry.user_id)
        .where(LedgerEntry.kind.in_(kinds), LedgerEntry.user_id != reviewer_id, _works_at(school, today))
        .order_by(LedgerEntry.user_id, LedgerEntry.sequence)
    ).all()
    by_person: dict[int, list[LedgerEntry]] = defaultdict(list)
    people: dict[int, User] = {}
    for entry, person in rows:
        by_person[entry.user_id].append(entry)
        people[entry.user_id] = person
    names = _names_of({entry.recorded_by_id for entry, _ in rows if entry.recorded_by_id is not None})
    waiting = []
    for person_id, entries in by_person.items():
        # Only this person's entries of these kinds: enough to tell each item's status.
        record = build_record(people[person_id], entries=entries, names=names, today=today)
        for entry in record.external_items:
            if entry.awaiting_verification and owned_by(entry, school):
                waiting.append(AwaitingReview(person_id, people[person_id].name, entry))
    return sorted(waiting, key=lambda row: (row.entry.recorded_on, row.entry.sequence))
