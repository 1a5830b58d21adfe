"""How far the xAPI push has got, for each learning record store it sends to; the address statements
name people and activities under; and the people whose statements are to be voided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class XapiPushCursor(db.Model):
    __tablename__ = "xapi_push_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One cursor per store: pointing LRS_URL at a new store sends it the whole record from the start.
    lrs_url: Mapped[str] = mapped_column(String(500), unique=True)
    # The ledger is append-only and read in id order, so one number says what has been sent.
    last_entry_id: Mapped[int] = mapped_column(Integer, default=0)
    statements_sent: Mapped[int] = mapped_column(Integer, default=0)
    # The last erasure whose voiding statements this store has been sent (`xapi_erasure.id`).
    last_erasure_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class XapiIdentity(db.Model):
    """The address the first statements named people and activities under, kept for ever (one row).

    Statement ids come from ledger hashes; if activity ids and the actor's home page followed
    PUBLIC_BASE_URL, a new address would give the same ids different content, which stores refuse."""

    __tablename__ = "xapi_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class XapiErasure(db.Model):
    """A person whose details were erased: every store is sent voiding statements for what it holds
    about them, and nothing more about them is sent."""

    __tablename__ = "xapi_erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
