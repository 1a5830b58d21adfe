"""The progress projection: one row per person and module, kept in step with the ledger.

The ledger is the truth; this table makes "where is everyone up to?" one indexed query.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class ModuleProgress(db.Model):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    module_id: Mapped[str] = mapped_column(String(100), index=True)
    # The version being read now; reading a changed module starts its pages afresh.
    reading_version: Mapped[str] = mapped_column(String(64))
    pages_read: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_page_slug: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_version: Mapped[str | None] = mapped_column(String(64))

    @property
    def started(self) -> bool:
        """Whether any page has been read (the staff dashboard's "in progress")."""
        return bool(self.pages_read) or self.last_page_slug is not None


class RequirementProgress(db.Model):
    """The requirement projection: what each role (or assignment) asks of a person at a school, with
    their progress on it. One row per membership and required module, plus one per assignment.

    Everything here is fixed by the data, not by the day: the due date, the completion, whether it was
    done before the school asked for a new version, and when it expires. The statuses that depend on
    today (overdue, due soon, expired) are worked out in SQL from these dates
    (app/leadership/progress_projection.py), so the table never goes stale overnight. Rows are rebuilt
    for a person (or a whole school) in the same transaction as any write that changes them.
    """

    __tablename__ = "requirement_progress"
    __table_args__ = (Index("ix_requirement_progress_school_user_module", "school_id", "user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(String(100))
    # The role whose pathway (or the school's setting) asks for the module, or "assigned".
    source: Mapped[str] = mapped_column(String(32))
    # The membership's dates: the row counts on the days the person holds the role.
    from_on: Mapped[date | None] = mapped_column(Date)
    until_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    renew_every_months: Mapped[int | None] = mapped_column(Integer)
    refresh_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_on: Mapped[date | None] = mapped_column(Date)
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    older_version: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_on: Mapped[date | None] = mapped_column(Date)
