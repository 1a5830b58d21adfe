"""A leader's request for many staff certificates at once, as one zip built in the background."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

# A bundle waits for a worker, is built, then is ready to download (or failed); after a day its zip
# is removed and it is expired.
BUNDLE_WAITING = "waiting"
BUNDLE_BUILDING = "building"
BUNDLE_READY = "ready"
BUNDLE_FAILED = "failed"
BUNDLE_EXPIRED = "expired"
BUNDLE_UNFINISHED = (BUNDLE_WAITING, BUNDLE_BUILDING)


class CertificateBundle(db.Model):
    __tablename__ = "certificate_bundle"
    __table_args__ = (
        # Asking again for the same filter while its zip is being built finds that job: never a second.
        Index(
            "uq_certificate_bundle_unfinished",
            "school_id",
            "filter_key",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'building')"),
            sqlite_where=text("status IN ('waiting', 'building')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The filter in a canonical form ("module=...;role=...;from=...;to=..."), and as the form gave it.
    filter_key: Mapped[str] = mapped_column(String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=BUNDLE_WAITING)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # The zip's file name in the bundles folder (under EVIDENCE_DIR), once it is ready.
    file_name: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
