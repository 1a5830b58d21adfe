"""Open Badges issued for module completions. The signed credential is kept as issued (it holds no
secret: a salted hash of the email, never the email); the keys that sign are never stored here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class OpenBadge(db.Model):
    __tablename__ = "open_badge"

    # Also the badge's place in the revocation status list (Bitstring Status List): ids are never reused.
    id: Mapped[int] = mapped_column(primary_key=True)
    # One badge per completion: asking again gives the same badge.
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    # The credential's id is urn:uuid:<credential_uuid>; the public page for sharing is under it too.
    credential_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    key_id: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The compact JWS (VC-JWT) as issued.
    signed_credential: Mapped[str] = mapped_column(Text)
