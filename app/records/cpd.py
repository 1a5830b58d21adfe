"""A CPD record as people read it: each ledger entry made readable, with its status, the hours it counts
for, and the totals by year, category and month.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.models import LedgerEntry, School, User
from app.records.external_cpd import ExternalCpdDetails
from app.records.ledger import BrokenLink, EntryKind
from app.records.terms import (
    CATEGORY_LABELS,
    EXTERNAL_KINDS,
    academic_year_label,
    academic_year_of,
    format_hours,
    kind_label,
    local_date,
)

log = logging.getLogger(__name__)

# ---- reading a record -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    label: str
    tag_class: str


VERIFIED = Status("Verified", "govuk-tag--green")
AWAITING_VERIFICATION = Status("Awaiting verification", "govuk-tag--blue")
REJECTED = Status("Rejected", "govuk-tag--red")
CORRECTED = Status("Corrected", "govuk-tag--grey")
COMPLETED = Status("Completed", "govuk-tag--green")
CERTIFICATE_VOIDED = Status("Certificate voided", "govuk-tag--red")
PASSED = Status("Passed", "govuk-tag--green")
NOT_PASSED = Status("Not passed", "govuk-tag--yellow")


@dataclass
class RecordEntry:
    """One ledger entry, readable: what it was, when, how many minutes it counts for, and its status."""

    entry: LedgerEntry
    title: str
    activity_date: date
    kind_label: str
    minutes: int | None = None
    counted_minutes: int = 0
    category: str | None = None
    status: Status | None = None
    # Label and value pairs shown under the entry (provider, qualification, comment...).
    details: list[tuple[str, str]] = field(default_factory=list)
    refers_to: RecordEntry | None = None
    recorded_by_name: str | None = None
    details_of_external: ExternalCpdDetails | None = None
    evidence: dict[str, Any] | None = None
    # External CPD: the entry whose details count now (itself, or its newest correction).
    current_version: RecordEntry | None = None
    decision: RecordEntry | None = None
    # Module completions: the one whose certificate can be downloaded (the newest not voided).
    has_certificate: bool = False
    voided_by: RecordEntry | None = None

    @property
    def id(self) -> int:
        return self.entry.id

    @property
    def sequence(self) -> int:
        return self.entry.sequence

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def academic_year(self) -> int:
        return academic_year_of(self.activity_date)

    @property
    def hours(self) -> str | None:
        return None if self.minutes is None else format_hours(self.minutes)

    @property
    def category_label(self) -> str | None:
        return CATEGORY_LABELS.get(self.category) if self.category else None

    @property
    def recorded_on(self) -> date:
        return local_date(self.entry.recorded_at)

    @property
    def is_external(self) -> bool:
        return self.kind in EXTERNAL_KINDS

    @property
    def is_current_external(self) -> bool:
        """An external CPD entry whose details are the ones that count (not corrected since)."""
        return self.is_external and self.current_version is self

    @property
    def awaiting_verification(self) -> bool:
        return self.is_current_external and self.status is AWAITING_VERIFICATION

    @property
    def module_id(self) -> str | None:
        return self.entry.subject_id if self.kind == EntryKind.MODULE_COMPLETED.value else None


@dataclass(frozen=True)
class Total:
    label: str
    minutes: int
    key: str | int | None = None

    @property
    def hours(self) -> str:
        return format_hours(self.minutes)


@dataclass
class CpdRecord:
    user: User
    entries: list[RecordEntry]
    broken: BrokenLink | None
    today: date
    year: int | None = None
    kind: str | None = None
    # Set when a school reads the record: only its own part shows unless the person shares the rest.
    seen_by_school: School | None = None
    shared_with_school: bool = True

    @property
    def verified(self) -> bool:
        return self.broken is None

    @property
    def shown(self) -> list[RecordEntry]:
        """The entries that pass the filters, newest first."""
        chosen = [
            entry
            for entry in self.entries
            if (self.year is None or entry.academic_year == self.year)
            and (self.kind is None or entry.kind == self.kind)
        ]
        return sorted(chosen, key=lambda entry: (entry.activity_date, entry.sequence), reverse=True)

    @property
    def counted(self) -> list[RecordEntry]:
        """Entries that add hours: modules not voided, and the current version of external CPD not rejected."""
        return [entry for entry in self.entries if entry.counted_minutes > 0]

    @property
    def current_academic_year(self) -> int:
        return academic_year_of(self.today)

    @property
    def years(self) -> list[int]:
        """Every academic year with an entry, and this one, newest first."""
        return sorted({entry.academic_year for entry in self.entries} | {self.current_academic_year}, reverse=True)

    @property
    def kinds(self) -> list[tuple[str, str]]:
        """The kinds to filter by: the usual ones, and any other this record holds."""
        usual = [
            EntryKind.MODULE_COMPLETED.value,
            EntryKind.QUIZ_ATTEMPTED.value,
            EntryKind.EXTERNAL_CPD_RECORDED.value,
            EntryKind.ENTRY_CORRECTED.value,
            EntryKind.ENTRY_VERIFIED.value,
            EntryKind.ENTRY_REJECTED.value,
        ]
        present = sorted({entry.kind for entry in self.entries} - set(usual))
        return [(kind, kind_label(kind)) for kind in usual + present]

    @property
    def total_minutes(self) -> int:
        return sum(entry.counted_minutes for entry in self.counted)

    def totals_by_year(self) -> list[Total]:
        minutes: dict[int, int] = defaultdict(int)
        for entry in self.counted:
            minutes[entry.academic_year] += entry.counted_minutes
        return [Total(academic_year_label(year), minutes[year], year) for year in sorted(minutes, reverse=True)]

    def totals_by_category(self, year: int | None = None) -> list[Total]:
        minutes: dict[str, int] = defaultdict(int)
        for entry in self.counted:
            if year is None or entry.academic_year == year:
                minutes[entry.category or "other"] += entry.counted_minutes
        order = list(CATEGORY_LABELS)
        return [
            Total(CATEGORY_LABELS.get(key, key), minutes[key], key)
            for key in sorted(minutes, key=lambda key: order.index(key) if key in order else len(order))
        ]

    @property
    def chart_year(self) -> int:
        return self.year if self.year is not None else self.current_academic_year

    def months(self, year: int | None = None) -> list[Total]:
        """Minutes in each month of an academic year, September first."""
        year = self.chart_year if year is None else year
        minutes: dict[tuple[int, int], int] = defaultdict(int)
        for entry in self.counted:
            minutes[(entry.activity_date.year, entry.activity_date.month)] += entry.counted_minutes
        months = []
        for offset in range(12):
            month_year, month = (year, 9 + offset) if offset < 4 else (year + 1, offset - 3)
            label = date(month_year, month, 1).strftime("%B %Y")
            months.append(Total(label, minutes[(month_year, month)], f"{month_year}-{month:02d}"))
        return months

    @property
    def external_items(self) -> list[RecordEntry]:
        """The current version of every external CPD entry, newest first."""
        return [entry for entry in self.shown_all_newest_first if entry.is_current_external]

    @property
    def shown_all_newest_first(self) -> list[RecordEntry]:
        return sorted(self.entries, key=lambda entry: (entry.activity_date, entry.sequence), reverse=True)

    @property
    def senco_qualification(self) -> RecordEntry | None:
        """The newest mandatory SENCO qualification on the record that was not rejected."""
        for entry in self.external_items:
            details = entry.details_of_external
            if (
                details is not None
                and details.qualification is not None
                and details.qualification.kind.is_senco_mandatory
                and entry.status is not REJECTED
            ):
                return entry
        return None

    @property
    def activities(self) -> list[RecordEntry]:
        """What a statement lists: completed modules and external CPD as it stands, newest first."""
        return [
            entry
            for entry in self.shown_all_newest_first
            if (self.year is None or entry.academic_year == self.year)
            and (entry.kind == EntryKind.MODULE_COMPLETED.value or entry.is_current_external)
        ]

    def may_act_on(self, entry: RecordEntry) -> bool:
        """Whether the reader may decide on the entry: the person on their own record, a school on its own."""
        return self.seen_by_school is None or owned_by(entry, self.seen_by_school)

    def find(self, entry_id: int) -> RecordEntry | None:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None


# ---- which school owns an entry ---------------------------------------------------------------


def owner_school_id(entry: RecordEntry) -> int | None:
    """The school an entry belongs to: the one it was recorded for (the school the person was working
    in, or the school that decided it). A correction belongs with what it corrects."""
    if entry.kind == EntryKind.ENTRY_CORRECTED.value and entry.refers_to is not None:
        return entry.refers_to.entry.school_id
    return entry.entry.school_id


def owned_by(entry: RecordEntry, school: School) -> bool:
    """Whether the school may act on the entry (verify, reject, void): only what it owns."""
    return owner_school_id(entry) == school.id
