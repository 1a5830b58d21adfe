"""How far the xAPI push has got, for each learning record store it sends to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
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
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
