"""The fast verification hashes exactly the bytes the ledger hashed when it recorded each entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select

from app.extensions import db
from app.models.base import UTCDateTime
from app.records import ledger
from app.records.ledger_verify import CANONICAL_TIMESTAMP

text = st.text(max_size=30)
maybe_text = st.none() | text
# Beyond 64 bits too: orjson refuses those, and the standard library must take over.
whole = st.integers(-(2**53), 2**53) | st.integers(-(2**70), 2**70)
payload = st.recursive(
    st.none() | st.booleans() | whole | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
).map(lambda value: {"value": value})
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))

fields = st.fixed_dictionaries(
    {
        "user_id": st.integers(1, 2**31),
        "sequence": st.integers(1, 10**6),
        "school_id": st.none() | st.integers(1, 2**31),
        "kind": text,
        "subject_id": maybe_text,
        "subject_version": maybe_text,
        "payload": payload,
        "occurred_at": moments,
        "recorded_at": moments,
        "recorded_by_id": st.none() | st.integers(1, 2**31),
        "previous_hash": st.none() | st.text("0123456789abcdef", min_size=64, max_size=64),
        "dedupe_key": maybe_text,
    }
)


@settings(max_examples=500, deadline=None)
@given(fields)
def test_the_fast_canonical_form_is_byte_for_byte_the_ledgers(values):
    as_text = {**values, **{name: ledger.canonical_timestamp(values[name]) for name in ("occurred_at", "recorded_at")}}
    plain = [as_text[name] for name in ledger.HASHED_FIELDS]
    assert ledger.canonical_bytes_of_values(plain) == ledger.canonical_bytes(values)
    # Payloads read back in bulk parse to the same values as the standard library's.
    written = json.dumps(values["payload"], ensure_ascii=False)
    assert ledger.load_json(written.encode()) == json.loads(written) == values["payload"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=moments, offset_hours=st.integers(-12, 12))
def test_postgresql_writes_a_timestamp_as_the_ledger_does(app, on_postgresql, moment, offset_hours):
    if not on_postgresql:
        return  # SQLite's timestamps are formatted in Python, by the ledger's own function
    stored = literal(moment.astimezone(UTC), UTCDateTime())
    # Whatever the session's time zone, the text is UTC.
    db.session.execute(select(func.set_config("TimeZone", f"Etc/GMT{-offset_hours:+d}", True)))
    written = db.session.scalar(select(func.to_char(func.timezone("UTC", stored), CANONICAL_TIMESTAMP)))
    db.session.rollback()
    assert written == ledger.canonical_timestamp(moment)
    assert written.endswith("Z")
