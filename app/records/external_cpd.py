"""External CPD: training done elsewhere, recorded by the person, corrected by them and verified or
rejected by a leader of the school it belongs to. Everything is a new ledger entry:

- `external_cpd_recorded`: the title, provider, date, minutes, category, what changed in practice, an
  optional qualification and an optional evidence file's id and hash;
- `entry_corrected`: the person's corrected details, pointing at the original (`refers_to_entry`); the
  newest correction counts, the original stays visible as corrected;
- `entry_verified` / `entry_rejected`: a headteacher's or SENCO's decision on the version they saw.

Payloads hold ids, whole minutes, dates and the person's own words, never names or emails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.records.terms import (
    MAX_HOURS_PER_ENTRY,
    Category,
    QualificationKind,
    QualificationStatus,
    check_activity_date,
)

log = logging.getLogger(__name__)

# ---- external CPD details -------------------------------------------------------------------------


@dataclass(frozen=True)
class Qualification:
    kind: QualificationKind
    status: QualificationStatus
    completed_on: date | None = None


@dataclass(frozen=True)
class ExternalCpdDetails:
    """What a person says about training done elsewhere, checked and ready for the ledger."""

    title: str
    provider: str
    activity_date: date
    minutes: int
    category: Category
    reflection: str = ""
    qualification: Qualification | None = None

    def payload(self, evidence: dict[str, Any] | None) -> dict[str, Any]:
        qualification = None
        if self.qualification is not None:
            qualification = {
                "kind": self.qualification.kind.value,
                "status": self.qualification.status.value,
                "completed_on": self.qualification.completed_on.isoformat()
                if self.qualification.completed_on
                else None,
            }
        return {
            "title": self.title,
            "provider": self.provider,
            "date": self.activity_date.isoformat(),
            "minutes": self.minutes,
            "category": self.category.value,
            "reflection": self.reflection,
            "qualification": qualification,
            "evidence": evidence,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ExternalCpdDetails:
        qualification = None
        raw = payload.get("qualification")
        if isinstance(raw, dict):
            completed_on = raw.get("completed_on")
            qualification = Qualification(
                QualificationKind(raw["kind"]),
                QualificationStatus(raw["status"]),
                date.fromisoformat(completed_on) if completed_on else None,
            )
        return cls(
            title=payload["title"],
            provider=payload.get("provider", ""),
            activity_date=date.fromisoformat(payload["date"]),
            minutes=int(payload.get("minutes", 0)),
            category=Category(payload["category"]),
            reflection=payload.get("reflection", ""),
            qualification=qualification,
        )


class ExternalCpdRefused(ValueError):
    """The details break a rule; nothing was stored. The message is for the person."""


def check_details(details: ExternalCpdDetails, today: date) -> None:
    """The rules the forms check, checked again here so that no other caller can store nonsense."""
    if not details.title.strip() or len(details.title) > 200:
        raise ExternalCpdRefused("Enter a title of 200 characters or fewer")
    if not details.provider.strip() or len(details.provider) > 200:
        raise ExternalCpdRefused("Enter the provider, in 200 characters or fewer")
    if len(details.reflection) > 2000:
        raise ExternalCpdRefused("What changed in your practice must be 2000 characters or fewer")
    try:
        check_activity_date(details.activity_date, today)
    except ValueError as problem:
        raise ExternalCpdRefused(str(problem)) from problem
    if not 0 <= details.minutes <= MAX_HOURS_PER_ENTRY * 60:
        raise ExternalCpdRefused(f"Hours must be between 0 and {MAX_HOURS_PER_ENTRY}")
    if details.minutes == 0 and details.category is not Category.QUALIFICATION:
        raise ExternalCpdRefused("Hours must be more than 0")
    qualification = details.qualification
    if (qualification is not None) != (details.category is Category.QUALIFICATION):
        raise ExternalCpdRefused("Only a qualification has a qualification type and status")
    if qualification is not None:
        completed = qualification.status is QualificationStatus.COMPLETED
        if completed != (qualification.completed_on is not None):
            raise ExternalCpdRefused("A completed qualification needs the date it was completed, and only then")
        if qualification.completed_on is not None:
            if qualification.completed_on > today:
                raise ExternalCpdRefused("The date completed must be today or in the past")
            if qualification.completed_on < details.activity_date:
                raise ExternalCpdRefused("The date completed must be on or after the date you enrolled")
