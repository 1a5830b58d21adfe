"""Email waiting to be sent, written in the same transaction as the change that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_pending", "sent_at", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message is about (for example "invitation"), for the person's subject access record.
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The school the message was sent for (none for the person's own account: a password reset, say).
    # A school is the controller of its own records only, so its subject access download for the
    # person holds the email it sent them and not another school's, nor their account's.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    # The same text as the person's subject access download shows it: other people's names (who
    # invited them, who assigned training) and sign-in links left out. Written with `body_text`,
    # because only then is it known which words name someone else; None for email written before.
    body_text_for_subject_access: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
