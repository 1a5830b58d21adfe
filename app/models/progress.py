"""The progress projection: one row per person and module, kept in step with the ledger.

The ledger is the truth; this table makes "where is everyone up to?" one indexed query.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
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
