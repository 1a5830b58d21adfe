"""A school's own training content: modules its leaders write, and policies its staff must read.

Only this area writes them; other areas read them through `app.school_content`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

# What a school module's id looks like in the catalogue: never one of the national modules' slugs,
# which are lowercase words without digits at the start.
SCHOOL_MODULE_PREFIX = "school-"


class SchoolModule(db.Model):
    """A module a school's leaders write. `draft` is what they are editing; `published` is the copy
    staff read, and its hash is the module's version, so a change published is a new version."""

    __tablename__ = "school_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    # {title, summary, audience, minutes, outcomes, pages: [{title, body}], questions: [...], next_question}
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_version: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def catalogue_id(self) -> str:
        return f"{SCHOOL_MODULE_PREFIX}{self.id}"

    @property
    def title(self) -> str:
        return self.draft.get("title", "")

    @property
    def has_unpublished_changes(self) -> bool:
        return self.published is None or self.published != _publishable(self.draft)


def _publishable(draft: dict[str, Any]) -> dict[str, Any]:
    """The parts of a draft that staff see (the question counter is bookkeeping)."""
    return {key: value for key, value in draft.items() if key != "next_question"}


class SchoolPolicy(db.Model):
    """A document the school's staff must read and acknowledge: its SEND policy, SEN information
    report, accessibility plan or anything else. Each published version asks again."""

    __tablename__ = "school_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The roles whose holders must read it.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    read_by: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    versions: Mapped[list[SchoolPolicyVersion]] = relationship(
        back_populates="policy", order_by="SchoolPolicyVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> SchoolPolicyVersion | None:
        return self.versions[-1] if self.versions else None


class SchoolPolicyVersion(db.Model):
    """One published version: a PDF (stored like evidence files) or Markdown, and the hash of its content."""

    __tablename__ = "school_policy_version"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("school_policy.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str | None] = mapped_column(Text)
    # The stored file's name under POLICY_FILE_DIR (random), and the name it was uploaded with.
    stored_name: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(200))
    # sha256 of the PDF's bytes or of the Markdown: what an acknowledgement on the ledger names.
    content_hash: Mapped[str] = mapped_column(String(64))
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    policy: Mapped[SchoolPolicy] = relationship(back_populates="versions")

    @property
    def is_pdf(self) -> bool:
        return self.stored_name is not None
