"""The CPD record's vocabulary: the kinds of entry and their names, categories of CPD, the SENCO's
qualifications, and the rules for dates and hours shared by the forms and the services.
"""

from __future__ import annotations

import enum
import logging
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from app.records.ledger import EntryKind

log = logging.getLogger(__name__)

# Schools in England keep English dates: an entry recorded at 00:30 on 1 September belongs to the new year.
LOCAL_TIME = ZoneInfo("Europe/London")

# One entry of more than this many hours is a typing mistake, not a course (a whole award is ~600 hours).
MAX_HOURS_PER_ENTRY = 1000
EARLIEST_ACTIVITY_DATE = date(1950, 1, 1)


class Category(enum.StrEnum):
    COURSE = "course"
    CONFERENCE = "conference"
    IN_HOUSE_TRAINING = "in_house_training"
    READING = "reading"
    QUALIFICATION = "qualification"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.value]


# SEND Ready's own modules are a category of their own in the totals.
MODULE_CATEGORY = "send_ready_module"
CATEGORY_LABELS = {
    MODULE_CATEGORY: "SEND Ready modules",
    Category.COURSE.value: "Course",
    Category.CONFERENCE.value: "Conference",
    Category.IN_HOUSE_TRAINING.value: "In-house training",
    Category.READING.value: "Reading",
    Category.QUALIFICATION.value: "Qualification",
    Category.OTHER.value: "Other",
}


class QualificationKind(enum.StrEnum):
    # The SENCO's mandatory qualification since September 2024.
    NPQ_SENCO = "npq_senco"
    # The award it replaced, still the mandatory qualification for SENCOs covered by the transition rules.
    NASENCO = "nasenco"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            QualificationKind.NPQ_SENCO: "National Professional Qualification for SENCOs (NPQ for SENCOs)",
            QualificationKind.NASENCO: "National Award in SEN Co-ordination (NASENCO)",
            QualificationKind.OTHER: "Another qualification",
        }[self]

    @property
    def is_senco_mandatory(self) -> bool:
        return self in (QualificationKind.NPQ_SENCO, QualificationKind.NASENCO)


class QualificationStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {QualificationStatus.ENROLLED: "Enrolled", QualificationStatus.COMPLETED: "Completed"}[self]


class ReviewDecision(enum.StrEnum):
    VERIFY = "verify"
    REJECT = "reject"


KIND_LABELS = {
    EntryKind.MODULE_COMPLETED.value: "SEND Ready module",
    EntryKind.QUIZ_ATTEMPTED.value: "Quiz",
    EntryKind.SELF_ASSESSMENT_SUBMITTED.value: "Self-assessment",
    EntryKind.EXTERNAL_CPD_RECORDED.value: "External CPD",
    EntryKind.ENTRY_CORRECTED.value: "Correction",
    EntryKind.ENTRY_VERIFIED.value: "Verification",
    EntryKind.ENTRY_REJECTED.value: "Rejection",
    EntryKind.CERTIFICATE_VOIDED.value: "Certificate voided",
    EntryKind.POLICY_ACKNOWLEDGED.value: "School policy read and acknowledged",
}
EXTERNAL_KINDS = (EntryKind.EXTERNAL_CPD_RECORDED.value, EntryKind.ENTRY_CORRECTED.value)
DECISION_KINDS = (EntryKind.ENTRY_VERIFIED.value, EntryKind.ENTRY_REJECTED.value)


def kind_label(kind: str) -> str:
    """A readable name for any kind, including ones added after this was written."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


# ---- small rules shared by the forms and the services ---------------------------------------------


def academic_year_of(day: date) -> int:
    """The academic year (September to August) a date falls in, named by the year it starts."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_label(start_year: int) -> str:
    return f"{start_year} to {start_year + 1}"


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TIME).date()


def format_hours(minutes: int) -> str:
    """Minutes as hours for people to read: 90 -> "1.5", 45 -> "0.75", 120 -> "2"."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{hours:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration_text(minutes: int) -> str:
    """A duration as a person would say it: "35 minutes", "1 hour", "1.5 hours"."""
    if minutes < 60:
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    hours = format_hours(minutes)
    return f"{hours} hour" + ("" if hours == "1" else "s")


def minutes_from_hours(text: str) -> int:
    """Hours as typed ("1.5", "2", "0.75") to whole minutes, with no floats on the way.

    Raises ValueError with a message for the person when the text is not a sensible number of hours.
    """
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValueError("Enter the number of hours")
    if not re.fullmatch(r"-?\d{1,6}(\.\d{1,2})?", cleaned):
        raise ValueError("Hours must be a number, like 1.5 or 6")
    try:
        hours = Decimal(cleaned)
    except InvalidOperation as error:  # pragma: no cover - the pattern above lets only numbers through
        raise ValueError("Hours must be a number, like 1.5 or 6") from error
    if hours < 0:
        raise ValueError("Hours must be 0 or more")
    if hours > MAX_HOURS_PER_ENTRY:
        raise ValueError(f"Hours must be {MAX_HOURS_PER_ENTRY} or fewer for one entry")
    return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))


def check_activity_date(day: date, today: date) -> None:
    """Raises ValueError with a message for the person when the date cannot be right."""
    if day > today:
        raise ValueError("The date must be today or in the past")
    if day < EARLIEST_ACTIVITY_DATE:
        raise ValueError("The date must be after 1 January 1950")
