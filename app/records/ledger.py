"""The CPD ledger: append entries, read them, and prove that no one has rewritten them.

Each person's entries form a chain: entry n stores the hash of entry n-1 and its own SHA-256 over
a canonical serialisation of its fields. The hashed fields hold ids, never names or emails, so
erasing a person's details later leaves every chain valid. Verifying the whole ledger at once (plain
rows, several processes, only what is new) is app/records/ledger_verify.py.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, User
from app.models.base import utcnow


class EntryKind(enum.StrEnum):
    """Every kind of entry the ledger accepts. Later features add theirs here."""

    MODULE_COMPLETED = "module_completed"
    QUIZ_ATTEMPTED = "quiz_attempted"
    SELF_ASSESSMENT_SUBMITTED = "self_assessment_submitted"
    EXTERNAL_CPD_RECORDED = "external_cpd_recorded"
    ENTRY_VERIFIED = "entry_verified"
    ENTRY_REJECTED = "entry_rejected"
    ENTRY_CORRECTED = "entry_corrected"
    # A leader withdraws the certificate of a module completion issued in error.
    CERTIFICATE_VOIDED = "certificate_voided"
    # A person read and acknowledged a version of a school's policy (its hash is the subject version).
    POLICY_ACKNOWLEDGED = "policy_acknowledged"


HASHED_FIELDS = (
    "user_id",
    "sequence",
    "school_id",
    "kind",
    "subject_id",
    "subject_version",
    "payload",
    "occurred_at",
    "recorded_at",
    "recorded_by_id",
    "previous_hash",
    "dedupe_key",
)


def canonical_timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# What json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on each call,
# made once: the same bytes, without building an encoder for every entry.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed: sorted keys, no spaces, UTC timestamps to the microsecond."""
    values = {name: fields[name] for name in HASHED_FIELDS}
    values["occurred_at"] = canonical_timestamp(values["occurred_at"])
    values["recorded_at"] = canonical_timestamp(values["recorded_at"])
    return _CANONICAL_JSON.encode(values).encode("utf-8")


def canonical_bytes_of_values(values) -> bytes:
    """`canonical_bytes` for plain values in HASHED_FIELDS order whose two timestamps are already the
    canonical text (PostgreSQL formats them while reading: see app/records/ledger_verify.py).

    The fast path for verifying millions of entries. orjson writes the same bytes as the standard
    library's encoder above (sorted keys, no spaces, UTF-8 unescaped, the same escapes), about eight
    times faster; tests/records/test_ledger_canonical.py proves them equal on generated values. What
    orjson refuses (whole numbers beyond 64 bits) goes to the standard library, which defines the form.
    """
    fields = dict(zip(HASHED_FIELDS, values, strict=True))
    try:
        return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return _CANONICAL_JSON.encode(fields).encode("utf-8")


# A run of 19 or more digits may be a whole number beyond 64 bits, which orjson reads as a float,
# changing its value; the standard library keeps it exact.
_LONG_NUMBER = re.compile(rb"\d{19,}")


def load_json(data: bytes | str) -> Any:
    """Parse JSON as json.loads does, quicker: for reading payloads in bulk (see ledger_verify)."""
    raw = data.encode() if isinstance(data, str) else data
    if _LONG_NUMBER.search(raw):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(data)


def compute_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def _fields_of(entry: LedgerEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def _check_payload(payload: dict[str, Any]) -> None:
    # Floats would not survive every database's JSON type byte for byte; whole numbers and text do.
    def walk(value: Any) -> None:
        if isinstance(value, float):
            raise ValueError("ledger payloads hold whole numbers, not floats (store minutes, not hours)")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ValueError("ledger payload keys must be strings")
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif not (value is None or isinstance(value, bool | int | str)):
            raise ValueError(f"ledger payloads cannot hold {type(value).__name__}")

    walk(payload)


def append_entry(
    *,
    user_id: int,
    kind: EntryKind,
    school_id: int | None = None,
    subject_id: str | None = None,
    subject_version: str | None = None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    recorded_by_id: int | None = None,
    dedupe_key: str | None = None,
) -> LedgerEntry:
    """Append an entry to the person's chain and return it (flushed, not committed).

    With a `dedupe_key`, appending the same thing twice (a retry, a double click, two tabs) returns
    the entry already there instead of adding another.
    """
    kind = EntryKind(kind)
    payload = dict(payload or {})
    _check_payload(payload)
    # Lock the person's row for the rest of the transaction, so that two appends for the same person
    # take turns rather than both reading the same last entry (PostgreSQL; SQLite has one writer).
    # FOR NO KEY UPDATE: it still makes appends take turns, but does not wait on transactions that only
    # hold the row's key-share lock (any that inserted a row pointing at the person), so an append
    # after such an insert cannot deadlock with another.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    if dedupe_key is not None:
        existing = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.dedupe_key == dedupe_key)
        ).first()
        if existing is not None:
            return existing
    last = db.session.execute(
        select(LedgerEntry.sequence, LedgerEntry.entry_hash)
        .where(LedgerEntry.user_id == user_id)
        .order_by(LedgerEntry.sequence.desc())
        .limit(1)
    ).first()
    recorded_at = utcnow()
    fields: dict[str, Any] = {
        "user_id": user_id,
        "sequence": (last.sequence + 1) if last else 1,
        "school_id": school_id,
        "kind": kind.value,
        "subject_id": subject_id,
        "subject_version": subject_version,
        "payload": payload,
        "occurred_at": occurred_at or recorded_at,
        "recorded_at": recorded_at,
        "recorded_by_id": recorded_by_id,
        "previous_hash": last.entry_hash if last else None,
        "dedupe_key": dedupe_key,
    }
    entry = LedgerEntry(**fields, entry_hash=compute_hash(fields))
    db.session.add(entry)
    db.session.flush()
    return entry


def entries_for(user_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.sequence))
    )


@dataclass(frozen=True)
class BrokenLink:
    user_id: int
    entry_id: int
    sequence: int
    reason: str

    def describe(self) -> str:
        where = f"entry {self.entry_id} (number {self.sequence} in the chain)"
        return f"person {self.user_id}: {where}: {self.reason}"


def verify_chain(entries: list[LedgerEntry]) -> BrokenLink | None:
    """Check one person's entries (in sequence order); return the first broken link, if any."""
    previous: LedgerEntry | None = None
    for entry in entries:
        expected_sequence = previous.sequence + 1 if previous else 1
        if entry.sequence != expected_sequence:
            reason = f"expected entry number {expected_sequence}: an entry is missing before it"
            return BrokenLink(entry.user_id, entry.id, entry.sequence, reason)
        expected_previous = previous.entry_hash if previous else None
        if entry.previous_hash != expected_previous:
            reason = "its link to the entry before does not match: an entry before it was removed or replaced"
            return BrokenLink(entry.user_id, entry.id, entry.sequence, reason)
        if compute_hash(_fields_of(entry)) != entry.entry_hash:
            reason = "its contents do not match its hash: it was changed after it was recorded"
            return BrokenLink(entry.user_id, entry.id, entry.sequence, reason)
        previous = entry
    return None


def verify_person(user_id: int) -> BrokenLink | None:
    return verify_chain(entries_for(user_id))
