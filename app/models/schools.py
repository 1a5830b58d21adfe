"""Organisations (local authorities and trusts) and the schools they look after."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow


class OrganisationKind(enum.StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    TRUST = "trust"


class SchoolPhase(enum.StrEnum):
    NURSERY = "nursery"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    ALL_THROUGH = "all_through"
    SPECIAL = "special"
    ALTERNATIVE_PROVISION = "alternative_provision"
    SIXTH_FORM = "sixth_form"


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "kind"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    schools: Mapped[list[School]] = relationship(back_populates="organisation", order_by="School.name")


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique reference number that Get Information About Schools gives every school in England.
    urn: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[SchoolPhase] = mapped_column(enum_column(SchoolPhase, "phase"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # The local authority the school is in. A trust's schools may be in several; a local authority's
    # own schools need not say.
    local_authority: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Changes, in the same transaction, whenever something the staff training dashboard shows changes
    # (app/leadership/revisions.py), so that what was worked out from the old data is never
    # shown again. Random rather than a counter, so that a value is never reused.
    training_revision: Mapped[str] = mapped_column(String(32), default=lambda: new_training_revision())

    organisation: Mapped[Organisation | None] = relationship(back_populates="schools")


def new_training_revision() -> str:
    return secrets.token_hex(16)
