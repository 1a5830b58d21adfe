"""What leaders set: a school's changes to the default training requirements, assignments, reminders sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class RequirementSetting(db.Model):
    """A school's own setting for one module and one role, over the pathway's default.

    `required` false removes a default; the other fields, when set, replace the default's window and
    renewal period. `refresh_required_since` marks a module change as needing everyone to redo it:
    completions from before that moment show as "done on an older version".
    """

    __tablename__ = "requirement_setting"
    __table_args__ = (UniqueConstraint("school_id", "role", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    role: Mapped[str] = mapped_column(String(32))
    module_id: Mapped[str] = mapped_column(String(100))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    window_days: Mapped[int | None] = mapped_column(Integer)
    renew_every_months: Mapped[int | None] = mapped_column(Integer)
    refresh_required_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RequirementChange(db.Model):
    """The record of every change a leader made to the school's requirements."""

    __tablename__ = "requirement_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    module_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """A module a leader asked one person to complete by a date."""

    __tablename__ = "assignment"
    __table_args__ = (
        # One form submitted twice assigns once.
        UniqueConstraint("once_key", "user_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    module_id: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(1000))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    once_key: Mapped[str] = mapped_column(String(64))


class ReminderSent(db.Model):
    """One reminder, so that running the reminder job twice never sends it twice."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "kind", "subject", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    # due_soon | overdue | weekly_digest | ledger_checkpoint (a headteacher's copy of a checkpoint)
    kind: Mapped[str] = mapped_column(String(32))
    # The module (or "digest", "checkpoint"), and the period it covers: the due date, the ISO week, or the
    # checkpoint's time.
    subject: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(16))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
