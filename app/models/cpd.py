"""Evidence files for external CPD.

External CPD itself lives in the ledger (entries of kind `external_cpd_recorded` and their
corrections); this table describes the files people attach to it. The bytes are kept on disk
outside the web root (EVIDENCE_DIR); the ledger entry holds the file's id and SHA-256, so a file
swapped on disk no longer matches the record.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow

# The largest evidence file accepted.
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


class EvidenceMediaType(enum.StrEnum):
    """The kinds of file accepted as evidence, as found in the file's content (never its name)."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"

    @property
    def extension(self) -> str:
        return {EvidenceMediaType.PDF: "pdf", EvidenceMediaType.PNG: "png", EvidenceMediaType.JPEG: "jpg"}[self]

    @property
    def label(self) -> str:
        return {EvidenceMediaType.PDF: "PDF", EvidenceMediaType.PNG: "PNG image", EvidenceMediaType.JPEG: "JPEG image"}[
            self
        ]


class EvidenceFile(db.Model):
    __tablename__ = "evidence_file"
    __table_args__ = (CheckConstraint(f"size_bytes > 0 AND size_bytes <= {EVIDENCE_MAX_BYTES}", name="size_allowed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose record the file belongs to: only they and their school's leaders may download it.
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Where it is under EVIDENCE_DIR, for example "17/3f9a....pdf": a random name, never the uploaded one.
    storage_path: Mapped[str] = mapped_column(String(200), unique=True)
    media_type: Mapped[EvidenceMediaType] = mapped_column(enum_column(EvidenceMediaType, "media_type"))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The name it was uploaded with, shown to the person; it may hold a name, so it stays out of the ledger.
    original_filename: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordSharing(db.Model):
    """Whether a person shares their CPD record from elsewhere with one of their schools.

    A school always sees what it recorded or decided itself; what the person did at other schools it
    sees only while `shared_at` is set. Off until the person turns it on; they can turn it off again;
    each change is in the school's audit log.
    """

    __tablename__ = "record_sharing"
    __table_args__ = (UniqueConstraint("user_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    # Set while the person shares; None once they stop.
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
