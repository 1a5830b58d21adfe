"""What the public check of a certificate says: valid, expired (its renewal date has passed) or
voided, with the date it was issued, the date it must be renewed by and the school that issued it.

A certificate is renewed when the school requires the module again: the renewal date is the
completion date plus the shortest `renew_every_months` among the requirements the person's roles at
that school had for the module when they completed it, or the day the school asked everyone who had
completed it to take it again (`refresh_required_since`), if that came later. A module no role
required there, or required once only, has no renewal date and does not expire.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.learning.requirements import school_requirements
from app.models import LedgerEntry, Membership
from app.records import CertificateFacts, local_date, look_up_certificate


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    VOIDED = "voided"


@dataclass(frozen=True)
class CertificateCheck:
    status: CertificateStatus
    person_name: str
    module_title: str
    issued_on: date
    renew_by: date | None
    school_name: str | None
    voided_on: date | None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 month -> 28 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renew_by(catalogue: Catalogue, facts: CertificateFacts) -> date | None:
    return renewal_date(catalogue, facts.entry)


def renewal_date(catalogue: Catalogue, entry: LedgerEntry) -> date | None:
    """When the completion in `entry` must be renewed by, or None if it need not be."""
    if entry.school_id is None or entry.subject_id is None:
        return None
    completed_on = local_date(entry.occurred_at)
    roles = set(
        db.session.scalars(
            select(Membership.role).where(
                Membership.user_id == entry.user_id,
                Membership.school_id == entry.school_id,
                Membership.started_on <= completed_on,
                (Membership.ended_on.is_(None)) | (Membership.ended_on >= completed_on),
            )
        )
    )
    requirements = [
        requirement
        for role, listed in school_requirements(catalogue, entry.school_id).items()
        if role in {getattr(r, "value", r) for r in roles}
        for requirement in listed
        if requirement.module_id == entry.subject_id
    ]
    dates = [
        add_months(completed_on, requirement.renew_every_months)
        for requirement in requirements
        if requirement.renew_every_months
    ]
    dates += [
        requirement.refresh_required_since.date()
        for requirement in requirements
        if requirement.refresh_required_since is not None and requirement.refresh_required_since > entry.occurred_at
    ]
    return min(dates) if dates else None


def check_certificate(code: str, *, catalogue: Catalogue, today: date) -> CertificateCheck | None:
    """What the public page says about a code, or None for a code that is unknown or forged."""
    facts = look_up_certificate(code)
    if facts is None:
        return None
    renewal = renew_by(catalogue, facts)
    if facts.voided_on is not None:
        status = CertificateStatus.VOIDED
    elif renewal is not None and renewal < today:
        status = CertificateStatus.EXPIRED
    else:
        status = CertificateStatus.VALID
    return CertificateCheck(
        status=status,
        person_name=facts.person_name,
        module_title=facts.module_title,
        issued_on=facts.completed_on,
        renew_by=renewal,
        school_name=facts.school_name,
        voided_on=facts.voided_on,
    )
