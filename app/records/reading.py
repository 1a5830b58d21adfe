"""Reading a person's CPD record from their ledger: every entry made readable, corrections paired with
what they correct, decisions with what they decide, and the certificates that can be downloaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.models import LedgerEntry, User
from app.records import ledger
from app.records.cpd import (
    AWAITING_VERIFICATION,
    CERTIFICATE_VOIDED,
    COMPLETED,
    CORRECTED,
    NOT_PASSED,
    PASSED,
    REJECTED,
    VERIFIED,
    CpdRecord,
    RecordEntry,
)
from app.records.external_cpd import ExternalCpdDetails
from app.records.ledger import EntryKind
from app.records.terms import DECISION_KINDS, EXTERNAL_KINDS, LOCAL_TIME, MODULE_CATEGORY, kind_label, local_date

log = logging.getLogger(__name__)


def _names_of(user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {user_id: name for user_id, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


def _refers_to(entry: LedgerEntry) -> int | None:
    value = entry.payload.get("refers_to_entry") if isinstance(entry.payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def build_record(
    user: User,
    *,
    catalogue: Catalogue | None = None,
    year: int | None = None,
    kind: str | None = None,
    today: date | None = None,
    entries: list[LedgerEntry] | None = None,
    names: dict[int, str] | None = None,
) -> CpdRecord:
    """Read a person's whole ledger into a record: two queries (the entries, the names of leaders).

    Given some of the entries (and the names), it reads just those, without checking the chain,
    which needs them all.
    """
    today = today or datetime.now(LOCAL_TIME).date()
    whole = entries is None
    entries = ledger.entries_for(user.id) if entries is None else entries
    broken = ledger.verify_chain(entries) if whole else None
    if names is None:
        names = _names_of({entry.recorded_by_id for entry in entries if entry.recorded_by_id not in (None, user.id)})
    by_id = {entry.id: entry for entry in entries}

    readable: dict[int, RecordEntry] = {}
    for entry in entries:
        readable[entry.id] = _readable(entry, catalogue, names)

    # External CPD: each original with its corrections; the newest correction is the current version.
    versions: dict[int, list[RecordEntry]] = {}
    for entry in entries:
        if entry.kind == EntryKind.EXTERNAL_CPD_RECORDED.value:
            versions[entry.id] = [readable[entry.id]]
    for entry in entries:
        if entry.kind == EntryKind.ENTRY_CORRECTED.value:
            original = _original_of(entry, by_id)
            if original is not None and original.id in versions:
                versions[original.id].append(readable[entry.id])
                readable[entry.id].refers_to = readable[original.id]

    decisions: dict[int, RecordEntry] = {}
    voids: dict[int, RecordEntry] = {}
    for entry in entries:
        target = _refers_to(entry)
        if target is None or target not in readable:
            continue
        if entry.kind in DECISION_KINDS:
            readable[entry.id].refers_to = readable[target]
            decisions[target] = readable[entry.id]  # sequence order: the newest decision wins
        elif entry.kind == EntryKind.CERTIFICATE_VOIDED.value:
            readable[entry.id].refers_to = readable[target]
            voids[target] = readable[entry.id]

    for chain in versions.values():
        current = chain[-1]
        decision = decisions.get(current.id)
        status = AWAITING_VERIFICATION
        if decision is not None:
            status = VERIFIED if decision.kind == EntryKind.ENTRY_VERIFIED.value else REJECTED
        for version in chain:
            version.current_version = current
            version.status = status if version is current else CORRECTED
            version.decision = decisions.get(version.id)
        if status is not REJECTED:
            current.counted_minutes = current.minutes or 0

    newest_completion: dict[str, RecordEntry] = {}
    for entry in entries:
        if entry.kind != EntryKind.MODULE_COMPLETED.value:
            continue
        completion = readable[entry.id]
        void = voids.get(entry.id)
        if void is not None:
            completion.status = CERTIFICATE_VOIDED
            completion.voided_by = void
            continue
        completion.status = COMPLETED
        completion.counted_minutes = completion.minutes or 0
        newest_completion[entry.subject_id or ""] = completion
    for completion in newest_completion.values():
        completion.has_certificate = True

    return CpdRecord(user=user, entries=list(readable.values()), broken=broken, today=today, year=year, kind=kind)


def _original_of(correction: LedgerEntry, by_id: dict[int, LedgerEntry]) -> LedgerEntry | None:
    """The external CPD entry a correction corrects (following a correction of a correction back)."""
    seen = set()
    target = _refers_to(correction)
    while target is not None and target in by_id and target not in seen:
        seen.add(target)
        entry = by_id[target]
        if entry.kind == EntryKind.EXTERNAL_CPD_RECORDED.value:
            return entry
        if entry.kind != EntryKind.ENTRY_CORRECTED.value:
            return None
        target = _refers_to(entry)
    return None


def _readable(entry: LedgerEntry, catalogue: Catalogue | None, names: dict[int, str]) -> RecordEntry:
    """Describe one entry. Kinds this does not know (added by later features) still read sensibly."""
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    kind = entry.kind
    when = local_date(entry.occurred_at)
    by = names.get(entry.recorded_by_id) if entry.recorded_by_id is not None else None
    module = catalogue.modules.get(entry.subject_id) if catalogue and entry.subject_id else None
    module_title = _text(payload.get("title")) or (module.title if module else entry.subject_id or "a module")

    if kind == EntryKind.MODULE_COMPLETED.value:
        minutes = payload.get("minutes")
        minutes = minutes if isinstance(minutes, int) and minutes >= 0 else 0
        return RecordEntry(
            entry, module_title, when, kind_label(kind), minutes=minutes, category=MODULE_CATEGORY, recorded_by_name=by
        )

    if kind == EntryKind.QUIZ_ATTEMPTED.value:
        details = []
        score, total = payload.get("score"), payload.get("total")
        if isinstance(score, int) and isinstance(total, int):
            details.append(("Score", f"{score} out of {total}"))
        passed = payload.get("passed")
        status = PASSED if passed is True else NOT_PASSED if passed is False else None
        return RecordEntry(entry, f"Quiz: {module_title}", when, kind_label(kind), status=status, details=details)

    if kind in EXTERNAL_KINDS:
        try:
            details = ExternalCpdDetails.from_payload(payload)
        except (KeyError, ValueError, TypeError):
            return RecordEntry(entry, _text(payload.get("title")) or kind_label(kind), when, kind_label(kind))
        rows = [("Provider", details.provider), ("Category", details.category.label)]
        if details.qualification is not None:
            rows.append(("Qualification", details.qualification.kind.label))
            rows.append(("Qualification status", details.qualification.status.label))
            if details.qualification.completed_on:
                rows.append(("Completed on", details.qualification.completed_on.strftime("%-d %B %Y")))
        if details.reflection:
            rows.append(("What changed in practice", details.reflection))
        evidence = payload.get("evidence") if isinstance(payload.get("evidence"), dict) else None
        return RecordEntry(
            entry,
            details.title,
            details.activity_date,
            kind_label(kind),
            minutes=details.minutes,
            category=details.category.value,
            details=rows,
            details_of_external=details,
            evidence=evidence,
            recorded_by_name=by,
        )

    if kind in DECISION_KINDS:
        rows = [("Comment", payload["comment"])] if _text(payload.get("comment")) else []
        verb = "Verified" if kind == EntryKind.ENTRY_VERIFIED.value else "Rejected"
        title = f"{verb} by {by}" if by else verb
        return RecordEntry(entry, title, when, kind_label(kind), details=rows, recorded_by_name=by)

    if kind == EntryKind.CERTIFICATE_VOIDED.value:
        rows = [("Reason", payload["reason"])] if _text(payload.get("reason")) else []
        title = f"Certificate voided by {by}" if by else "Certificate voided"
        return RecordEntry(entry, title, when, kind_label(kind), details=rows, recorded_by_name=by)

    title = _text(payload.get("title")) or kind_label(kind)
    return RecordEntry(entry, title, when, kind_label(kind), recorded_by_name=by)


def filters_from(args) -> tuple[int | None, str | None]:
    """The academic year and kind to show, from a query string; anything odd means "all"."""
    year_text = (args.get("year") or "").strip()
    year = int(year_text) if re.fullmatch(r"\d{4}", year_text) and 1950 <= int(year_text) <= 2100 else None
    kind = (args.get("kind") or "").strip()
    return year, (kind if re.fullmatch(r"[a-z_]{1,64}", kind) else None)
