"""The CPD ledger: an append-only, per-person hash chain of everything a person has done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime


class LedgerIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove a ledger entry."""


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        # Two appends racing for the same person cannot both take the next place: no forked chain.
        UniqueConstraint("user_id", "sequence"),
        # A retried or doubled action (two tabs, a double click) records once.
        UniqueConstraint("user_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # 1, 2, 3 ... per person: the chain's order.
    sequence: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(200))
    subject_version: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What makes this entry the same as a retry of it, for example "module_completed:<module>:<version>".
    dedupe_key: Mapped[str | None] = mapped_column(String(200))


@event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise LedgerIsAppendOnly("ledger entries are never changed: append a correction instead")


@event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise LedgerIsAppendOnly("ledger entries are never deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    if (state.is_update or state.is_delete) and (
        getattr(state.statement, "table", None) is LedgerEntry.__table__
        or any(mapper.class_ is LedgerEntry for mapper in state.all_mappers)
    ):
        raise LedgerIsAppendOnly("ledger entries are never changed or deleted in bulk")


# The database refuses too, so that no code path or hand-written SQL can rewrite history quietly.
# The migration creates the same trigger; this covers databases built straight from the models.
LEDGER_TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION ledger_entry_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_is_append_only();
"""

event.listen(LedgerEntry.__table__, "after_create", DDL(LEDGER_TRIGGER_SQL).execute_if(dialect="postgresql"))

# SQLite has no trigger functions; a trigger per statement kind does the same. The app itself never
# updates or deletes a ledger row (erasure changes the person's name and email, never their entries),
# so there is nothing to allow: the same as PostgreSQL's trigger. Migration 0020 creates these.
SQLITE_LEDGER_TRIGGERS = {
    "ledger_entry_no_update": """
CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
BEGIN
    SELECT RAISE(ABORT, 'ledger_entry is append-only: UPDATE refused');
END""",
    "ledger_entry_no_delete": """
CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
BEGIN
    SELECT RAISE(ABORT, 'ledger_entry is append-only: DELETE refused');
END""",
}

for _trigger_sql in SQLITE_LEDGER_TRIGGERS.values():
    event.listen(LedgerEntry.__table__, "after_create", DDL(_trigger_sql).execute_if(dialect="sqlite"))


class LedgerVerifiedChain(db.Model):
    """How far each person's chain has been verified, so that the nightly run checks only what is new.

    Not a trust anchor: anyone who can rewrite the ledger can rewrite this too. The signed checkpoint
    outside the database is the anchor; this only saves work (see app/records/ledger_verify.py).
    """

    __tablename__ = "ledger_verified_chain"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)
