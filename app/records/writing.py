"""Adding to a CPD record: external CPD and its corrections, recorded by the person, and the
verification or rejection of it by a leader of the school it belongs to. Each is a new ledger entry;
a retried form records once (every form carries a key used as the entry's dedupe key)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Any

from flask import abort
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, School, User
from app.records import ledger
from app.records.cpd import CpdRecord, owned_by
from app.records.evidence_files import EvidenceUpload, _evidence_path, _evidence_reference, store_evidence
from app.records.external_cpd import ExternalCpdDetails, ExternalCpdRefused, check_details
from app.records.ledger import EntryKind
from app.records.terms import (
    LOCAL_TIME,
    ReviewDecision,
)

log = logging.getLogger(__name__)

# ---- writing --------------------------------------------------------------------------------------


def _existing(user_id: int, dedupe_key: str) -> LedgerEntry | None:
    return db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.dedupe_key == dedupe_key)
    ).first()


def record_external_cpd(
    *,
    user_id: int,
    school_id: int | None,
    details: ExternalCpdDetails,
    evidence: EvidenceUpload | None,
    once_key: str,
    today: date | None = None,
) -> LedgerEntry:
    """Append the person's external CPD (and store its evidence file). A retried form records once."""
    check_details(details, today or datetime.now(LOCAL_TIME).date())
    return _append_external(
        user_id=user_id,
        school_id=school_id,
        kind=EntryKind.EXTERNAL_CPD_RECORDED,
        details=details,
        upload=evidence,
        carried_evidence=None,
        extra={},
        dedupe_key=f"external_cpd:{once_key}",
    )


def correct_external_cpd(
    *,
    record: CpdRecord,
    entry_id: int,
    details: ExternalCpdDetails,
    evidence: EvidenceUpload | None,
    keep_evidence: bool,
    once_key: str,
    today: date | None = None,
) -> LedgerEntry:
    """Append a correction of one of the person's external CPD entries, pointing at the original.

    Without a new file the current evidence carries over, unless `keep_evidence` is false.
    """
    check_details(details, today or datetime.now(LOCAL_TIME).date())
    entry = record.find(entry_id)
    if entry is None or entry.current_version is None:
        abort(404)
    original = entry.refers_to if entry.kind == EntryKind.ENTRY_CORRECTED.value and entry.refers_to else entry
    return _append_external(
        user_id=record.user.id,
        # A correction belongs to the school that holds the original, wherever the person is working now.
        school_id=original.entry.school_id,
        kind=EntryKind.ENTRY_CORRECTED,
        details=details,
        upload=evidence,
        carried_evidence=entry.current_version.evidence if keep_evidence else None,
        extra={"refers_to_entry": original.id},
        dedupe_key=f"correction:{once_key}",
    )


def _append_external(
    *,
    user_id: int,
    school_id: int | None,
    kind: EntryKind,
    details: ExternalCpdDetails,
    upload: EvidenceUpload | None,
    carried_evidence: dict[str, Any] | None,
    extra: dict[str, Any],
    dedupe_key: str,
) -> LedgerEntry:
    # Take the person's ledger lock (as append_entry does) before anything is written: a retry sent at
    # the same moment waits here, then finds this entry, and stores no second file. Taking it later
    # would deadlock, as each request's evidence row holds a key-share lock on the person's row.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    existing = _existing(user_id, dedupe_key)
    if existing is not None:
        return existing
    stored = store_evidence(user_id, upload) if upload is not None else None
    reference = _evidence_reference(stored) if stored is not None else carried_evidence
    try:
        entry = ledger.append_entry(
            user_id=user_id,
            school_id=school_id,
            kind=kind,
            payload={**details.payload(reference), **extra},
            occurred_at=datetime.combine(details.activity_date, time(12, 0), tzinfo=UTC),
            recorded_by_id=user_id,
            dedupe_key=dedupe_key,
        )
    except Exception:
        # The row goes with the rolled-back transaction; the file must go too.
        if stored is not None:
            _evidence_path(stored).unlink(missing_ok=True)
        raise
    if stored is not None and entry.payload.get("evidence") != reference:
        # The same form, sent twice at once, was recorded by the other request: keep only its file.
        _evidence_path(stored).unlink(missing_ok=True)
        db.session.delete(stored)
        db.session.flush()
    return entry


class CannotReviewOwn(PermissionError):
    """Leaders verify other people's CPD, never their own."""


def review_external_cpd(
    *,
    reviewer_id: int,
    school: School,
    record: CpdRecord,
    entry_id: int,
    seen_version_id: int,
    decision: ReviewDecision,
    comment: str,
    once_key: str,
) -> LedgerEntry:
    """Append a verification or rejection to the person's ledger, pointing at the version reviewed.

    `seen_version_id` is the version the reviewer was shown: if the person corrected the entry in the
    meantime, nothing is recorded, so that no one verifies details they have not read.
    """
    if record.user.id == reviewer_id:
        raise CannotReviewOwn("You cannot verify your own CPD. Ask another leader at your school.")
    entry = record.find(entry_id)
    if entry is None or entry.current_version is None or not owned_by(entry.current_version, school):
        # Another school's entry is not this school's to decide, even when the person shares it.
        abort(404)
    if entry.current_version.id != seen_version_id:
        raise ExternalCpdRefused("This entry was corrected after you opened it: check the new details")
    comment = comment.strip()
    if decision is ReviewDecision.REJECT and not comment:
        raise ExternalCpdRefused("Say why you are rejecting it")
    kind = EntryKind.ENTRY_VERIFIED if decision is ReviewDecision.VERIFY else EntryKind.ENTRY_REJECTED
    return ledger.append_entry(
        user_id=record.user.id,
        school_id=school.id,
        kind=kind,
        payload={"refers_to_entry": entry.current_version.id, "comment": comment},
        recorded_by_id=reviewer_id,
        dedupe_key=f"review:{reviewer_id}:{once_key}",
    )
