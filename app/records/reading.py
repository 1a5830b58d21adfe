"""Everyone's CPD record: read from the ledger, added to with external CPD, verified by leaders.

The ledger is the record of truth and is only ever appended to, so everything here is either a new
entry or a reading of the entries already there:

- `external_cpd_recorded`: training done elsewhere (payload: title, provider, date, minutes, category,
  what changed in practice, an optional qualification and an optional evidence file's id and hash);
- `entry_corrected`: the person's corrected details for one of those, pointing at the original
  (`refers_to_entry`); the newest correction is what counts, the original stays visible as corrected;
- `entry_verified` / `entry_rejected`: a headteacher's or SENCO's decision on the version they saw,
  appended to the person's own chain and pointing at it; the newest decision on the current version wins;
- `certificate_voided`: a leader withdraws a module completion's certificate (certificates.py).

Payloads hold ids, whole minutes, dates and the person's own words, never names or emails.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import exists, select

from app.content.model import Catalogue
from app.extensions import db
from app.models import EVIDENCE_MAX_BYTES, EvidenceFile, EvidenceMediaType, LedgerEntry, Membership, School, User
from app.services import ledger, record_sharing
from app.services.ledger import BrokenLink, EntryKind

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


# ---- evidence files -------------------------------------------------------------------------------

# What each accepted type's content starts with. The name and the browser's stated type are ignored.
SIGNATURES = (
    (b"%PDF-", EvidenceMediaType.PDF),
    (b"\x89PNG\r\n\x1a\n", EvidenceMediaType.PNG),
    (b"\xff\xd8\xff", EvidenceMediaType.JPEG),
)


def media_type_of(data: bytes) -> EvidenceMediaType | None:
    for signature, media_type in SIGNATURES:
        if data.startswith(signature):
            return media_type
    return None


class EvidenceRefused(ValueError):
    """An upload that is not accepted; nothing was stored. The message is for the person."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class EvidenceUpload:
    """An uploaded file that passed the checks, held in memory until it is stored."""

    data: bytes
    media_type: EvidenceMediaType
    filename: str


def read_evidence_upload(stream, filename: str | None) -> EvidenceUpload:
    """Read an upload (at most one byte past the limit) and check its size and, from its content, its type."""
    data = stream.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise EvidenceRefused("The evidence file must be 5 MB or smaller", too_large=True)
    if not data:
        raise EvidenceRefused("The selected file is empty")
    media_type = media_type_of(data)
    if media_type is None:
        raise EvidenceRefused("The evidence file must be a PDF, PNG or JPEG")
    # Only the last part of the name, stripped of anything odd: it is shown back to people.
    name = re.sub(r"[^\w.\- ()]+", "_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip() or "evidence"
    return EvidenceUpload(data, media_type, name[:255])


def evidence_root() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"]).resolve()


def _evidence_path(evidence: EvidenceFile) -> Path:
    root = evidence_root()
    path = (root / evidence.storage_path).resolve()
    if not path.is_relative_to(root):
        raise EvidenceMissing(f"evidence file {evidence.id} points outside EVIDENCE_DIR")
    return path


def store_evidence(user_id: int, upload: EvidenceUpload) -> EvidenceFile:
    """Write the file under EVIDENCE_DIR with a random name and describe it in a row (flushed)."""
    relative = f"{user_id}/{secrets.token_hex(16)}.{upload.media_type.extension}"
    path = evidence_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "xb") as out:
        out.write(upload.data)
    evidence = EvidenceFile(
        user_id=user_id,
        storage_path=relative,
        media_type=upload.media_type,
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        original_filename=upload.filename,
    )
    try:
        db.session.add(evidence)
        db.session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return evidence


def _evidence_reference(evidence: EvidenceFile) -> dict[str, Any]:
    """What the ledger keeps about a file: enough to find it and to notice if it was swapped."""
    return {"file_id": evidence.id, "sha256": evidence.sha256, "media_type": evidence.media_type.value}


class EvidenceMissing(LookupError):
    """The evidence file is gone from disk or no longer matches what was recorded."""


def read_evidence(evidence: EvidenceFile, recorded_sha256: str | None) -> bytes:
    """The file's bytes, once they are checked against the hash in the row and in the ledger."""
    path = _evidence_path(evidence)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise EvidenceMissing(f"evidence file {evidence.id} is missing from {path.parent}") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != evidence.sha256 or (recorded_sha256 is not None and digest != recorded_sha256):
        raise EvidenceMissing(f"evidence file {evidence.id} no longer matches its recorded SHA-256")
    return data


def delete_evidence_files(user_id: int) -> int:
    """Remove a person's evidence files from disk and their rows (for erasing a person's data).

    The ledger keeps only the files' ids and hashes, so its chain stays valid. Returns how many went.
    """
    files = list(db.session.scalars(select(EvidenceFile).where(EvidenceFile.user_id == user_id)))
    for evidence in files:
        try:
            _evidence_path(evidence).unlink(missing_ok=True)
        except EvidenceMissing:
            log.warning("evidence file %s had a path outside EVIDENCE_DIR; only its row is removed", evidence.id)
        db.session.delete(evidence)
    db.session.flush()
    return len(files)


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


def _names_of(user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {user_id: name for user_id, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


def _refers_to(entry: LedgerEntry) -> int | None:
    value = entry.payload.get("refers_to_entry") if isinstance(entry.payload, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def build_record(
    user: User,
    *,
    catalogue: Catalogue | None = None,
    year: int | None = None,
    kind: str | None = None,
    today: date | None = None,
    entries: list[LedgerEntry] | None = None,
    names: dict[int, str] | None = None,
) -> CpdRecord:
    """Read a person's whole ledger into a record: two queries (the entries, the names of leaders).

    Given some of the entries (and the names), it reads just those, without checking the chain,
    which needs them all.
    """
    today = today or datetime.now(LOCAL_TIME).date()
    whole = entries is None
    entries = ledger.entries_for(user.id) if entries is None else entries
    broken = ledger.verify_chain(entries) if whole else None
    if names is None:
        names = _names_of({entry.recorded_by_id for entry in entries if entry.recorded_by_id not in (None, user.id)})
    by_id = {entry.id: entry for entry in entries}

    readable: dict[int, RecordEntry] = {}
    for entry in entries:
        readable[entry.id] = _readable(entry, catalogue, names)

    # External CPD: each original with its corrections; the newest correction is the current version.
    versions: dict[int, list[RecordEntry]] = {}
    for entry in entries:
        if entry.kind == EntryKind.EXTERNAL_CPD_RECORDED.value:
            versions[entry.id] = [readable[entry.id]]
    for entry in entries:
        if entry.kind == EntryKind.ENTRY_CORRECTED.value:
            original = _original_of(entry, by_id)
            if original is not None and original.id in versions:
                versions[original.id].append(readable[entry.id])
                readable[entry.id].refers_to = readable[original.id]

    decisions: dict[int, RecordEntry] = {}
    voids: dict[int, RecordEntry] = {}
    for entry in entries:
        target = _refers_to(entry)
        if target is None or target not in readable:
            continue
        if entry.kind in DECISION_KINDS:
            readable[entry.id].refers_to = readable[target]
            decisions[target] = readable[entry.id]  # sequence order: the newest decision wins
        elif entry.kind == EntryKind.CERTIFICATE_VOIDED.value:
            readable[entry.id].refers_to = readable[target]
            voids[target] = readable[entry.id]

    for chain in versions.values():
        current = chain[-1]
        decision = decisions.get(current.id)
        status = AWAITING_VERIFICATION
        if decision is not None:
            status = VERIFIED if decision.kind == EntryKind.ENTRY_VERIFIED.value else REJECTED
        for version in chain:
            version.current_version = current
            version.status = status if version is current else CORRECTED
            version.decision = decisions.get(version.id)
        if status is not REJECTED:
            current.counted_minutes = current.minutes or 0

    newest_completion: dict[str, RecordEntry] = {}
    for entry in entries:
        if entry.kind != EntryKind.MODULE_COMPLETED.value:
            continue
        completion = readable[entry.id]
        void = voids.get(entry.id)
        if void is not None:
            completion.status = CERTIFICATE_VOIDED
            completion.voided_by = void
            continue
        completion.status = COMPLETED
        completion.counted_minutes = completion.minutes or 0
        newest_completion[entry.subject_id or ""] = completion
    for completion in newest_completion.values():
        completion.has_certificate = True

    return CpdRecord(user=user, entries=list(readable.values()), broken=broken, today=today, year=year, kind=kind)


def _original_of(correction: LedgerEntry, by_id: dict[int, LedgerEntry]) -> LedgerEntry | None:
    """The external CPD entry a correction corrects (following a correction of a correction back)."""
    seen = set()
    target = _refers_to(correction)
    while target is not None and target in by_id and target not in seen:
        seen.add(target)
        entry = by_id[target]
        if entry.kind == EntryKind.EXTERNAL_CPD_RECORDED.value:
            return entry
        if entry.kind != EntryKind.ENTRY_CORRECTED.value:
            return None
        target = _refers_to(entry)
    return None


def _readable(entry: LedgerEntry, catalogue: Catalogue | None, names: dict[int, str]) -> RecordEntry:
    """Describe one entry. Kinds this does not know (added by later features) still read sensibly."""
    payload = entry.payload if isinstance(entry.payload, dict) else {}
    kind = entry.kind
    when = local_date(entry.occurred_at)
    by = names.get(entry.recorded_by_id) if entry.recorded_by_id is not None else None
    module = catalogue.modules.get(entry.subject_id) if catalogue and entry.subject_id else None
    module_title = _text(payload.get("title")) or (module.title if module else entry.subject_id or "a module")

    if kind == EntryKind.MODULE_COMPLETED.value:
        minutes = payload.get("minutes")
        minutes = minutes if isinstance(minutes, int) and minutes >= 0 else 0
        return RecordEntry(
            entry, module_title, when, kind_label(kind), minutes=minutes, category=MODULE_CATEGORY, recorded_by_name=by
        )

    if kind == EntryKind.QUIZ_ATTEMPTED.value:
        details = []
        score, total = payload.get("score"), payload.get("total")
        if isinstance(score, int) and isinstance(total, int):
            details.append(("Score", f"{score} out of {total}"))
        passed = payload.get("passed")
        status = PASSED if passed is True else NOT_PASSED if passed is False else None
        return RecordEntry(entry, f"Quiz: {module_title}", when, kind_label(kind), status=status, details=details)

    if kind in EXTERNAL_KINDS:
        try:
            details = ExternalCpdDetails.from_payload(payload)
        except (KeyError, ValueError, TypeError):
            return RecordEntry(entry, _text(payload.get("title")) or kind_label(kind), when, kind_label(kind))
        rows = [("Provider", details.provider), ("Category", details.category.label)]
        if details.qualification is not None:
            rows.append(("Qualification", details.qualification.kind.label))
            rows.append(("Qualification status", details.qualification.status.label))
            if details.qualification.completed_on:
                rows.append(("Completed on", details.qualification.completed_on.strftime("%-d %B %Y")))
        if details.reflection:
            rows.append(("What changed in practice", details.reflection))
        evidence = payload.get("evidence") if isinstance(payload.get("evidence"), dict) else None
        return RecordEntry(
            entry,
            details.title,
            details.activity_date,
            kind_label(kind),
            minutes=details.minutes,
            category=details.category.value,
            details=rows,
            details_of_external=details,
            evidence=evidence,
            recorded_by_name=by,
        )

    if kind in DECISION_KINDS:
        rows = [("Comment", payload["comment"])] if _text(payload.get("comment")) else []
        verb = "Verified" if kind == EntryKind.ENTRY_VERIFIED.value else "Rejected"
        title = f"{verb} by {by}" if by else verb
        return RecordEntry(entry, title, when, kind_label(kind), details=rows, recorded_by_name=by)

    if kind == EntryKind.CERTIFICATE_VOIDED.value:
        rows = [("Reason", payload["reason"])] if _text(payload.get("reason")) else []
        title = f"Certificate voided by {by}" if by else "Certificate voided"
        return RecordEntry(entry, title, when, kind_label(kind), details=rows, recorded_by_name=by)

    title = _text(payload.get("title")) or kind_label(kind)
    return RecordEntry(entry, title, when, kind_label(kind), recorded_by_name=by)


# ---- which school owns what -----------------------------------------------------------------------


def owner_school_id(entry: RecordEntry) -> int | None:
    """The school an entry belongs to: the one it was recorded for (the school the person was working
    in, or the school that decided it). A correction belongs with what it corrects."""
    if entry.kind == EntryKind.ENTRY_CORRECTED.value and entry.refers_to is not None:
        return entry.refers_to.entry.school_id
    return entry.entry.school_id


def owned_by(entry: RecordEntry, school: School) -> bool:
    """Whether the school may act on the entry (verify, reject, void): only what it owns."""
    return owner_school_id(entry) == school.id


def as_seen_by(record: CpdRecord, school: School, *, shared: bool) -> CpdRecord:
    """The record as a school sees it: its own part, and the rest only while the person shares it.

    What the person shares is their own record: another school's leaders who decided on it are not the
    person's to share, so they are named only as "another school".
    """
    entries = record.entries if shared else [entry for entry in record.entries if owned_by(entry, school)]
    for entry in entries:
        if not owned_by(entry, school) and entry.recorded_by_name and entry.entry.recorded_by_id != record.user.id:
            entry.recorded_by_name = "another school"
            if entry.kind in DECISION_KINDS:
                verb = "Verified" if entry.kind == EntryKind.ENTRY_VERIFIED.value else "Rejected"
                entry.title = f"{verb} at another school"
            elif entry.kind == EntryKind.CERTIFICATE_VOIDED.value:
                entry.title = "Certificate voided at another school"
    return CpdRecord(
        user=record.user,
        entries=entries,
        broken=record.broken,
        today=record.today,
        year=record.year,
        kind=record.kind,
        seen_by_school=school,
        shared_with_school=shared,
    )


def record_for_school(
    person: User,
    school: School,
    *,
    catalogue: Catalogue | None = None,
    year: int | None = None,
    kind: str | None = None,
) -> CpdRecord:
    """A person's record for one of their school's leaders to read (`person_at_school_or_404` first)."""
    record = build_record(person, catalogue=catalogue, year=year, kind=kind)
    return as_seen_by(record, school, shared=record_sharing.is_shared(person.id, school.id))


def visible_entry_or_404(record: CpdRecord, entry_id: int) -> RecordEntry:
    entry = record.find(entry_id)
    if entry is None:
        abort(404)
    return entry


def owned_entry_or_404(record: CpdRecord, entry_id: int) -> RecordEntry:
    """An entry the reading school owns. Another school's (even one the person shares) is 'not found'."""
    entry = visible_entry_or_404(record, entry_id)
    if record.seen_by_school is None or not owned_by(entry, record.seen_by_school):
        abort(404)
    return entry


# ---- whose record may be read ---------------------------------------------------------------------


def _works_at(school: School, today: date):
    """A condition: the ledger entry's person has a current role at the school."""
    return exists().where(
        Membership.user_id == LedgerEntry.user_id,
        Membership.school_id == school.id,
        Membership.is_current(today),
    )


def person_at_school_or_404(school: School, user_id: int, today: date | None = None) -> User:
    """Someone with a current role at the school; anyone else (another school's person) is 'not found'."""
    today = today or date.today()
    user = db.session.scalars(
        select(User).where(
            User.id == user_id,
            exists().where(
                Membership.user_id == User.id,
                Membership.school_id == school.id,
                Membership.is_current(today),
            ),
        )
    ).first()
    if user is None:
        abort(404)
    return user


def staff_entry_or_404(school: School, entry_id: int, kinds: tuple[str, ...]) -> tuple[LedgerEntry, User]:
    """An entry of one of the kinds on the record of someone currently at the school, with its person."""
    today = date.today()
    row = db.session.execute(
        select(LedgerEntry, User)
        .join(User, User.id == LedgerEntry.user_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind.in_(kinds), _works_at(school, today))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def own_entry_or_404(user_id: int, entry_id: int, kinds: tuple[str, ...]) -> LedgerEntry:
    """An entry of one of the kinds on the person's own record; anyone else's is 'not found'."""
    entry = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.id == entry_id, LedgerEntry.user_id == user_id, LedgerEntry.kind.in_(kinds)
        )
    ).first()
    if entry is None:
        abort(404)
    return entry


def evidence_for_or_404(record: CpdRecord, entry_id: int) -> tuple[EvidenceFile, bytes]:
    """The evidence file of an external CPD entry on this record, checked against the ledger."""
    entry = record.find(entry_id)
    if entry is None or not entry.evidence:
        abort(404)
    file_id = entry.evidence.get("file_id")
    evidence = db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.id == file_id, EvidenceFile.user_id == record.user.id)
    ).first()
    if evidence is None:
        abort(404)
    try:
        return evidence, read_evidence(evidence, entry.evidence.get("sha256"))
    except EvidenceMissing as problem:
        log.error("Evidence for ledger entry %s cannot be served: %s", entry_id, problem)
        abort(404)


# ---- writing --------------------------------------------------------------------------------------


def _existing(user_id: int, dedupe_key: str) -> LedgerEntry | None:
    return db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.dedupe_key == dedupe_key)
    ).first()


def record_external_cpd(
    *,
    user_id: int,
    school_id: int | None,
    details: ExternalCpdDetails,
    evidence: EvidenceUpload | None,
    once_key: str,
    today: date | None = None,
) -> LedgerEntry:
    """Append the person's external CPD (and store its evidence file). A retried form records once."""
    check_details(details, today or datetime.now(LOCAL_TIME).date())
    return _append_external(
        user_id=user_id,
        school_id=school_id,
        kind=EntryKind.EXTERNAL_CPD_RECORDED,
        details=details,
        upload=evidence,
        carried_evidence=None,
        extra={},
        dedupe_key=f"external_cpd:{once_key}",
    )


def correct_external_cpd(
    *,
    record: CpdRecord,
    entry_id: int,
    details: ExternalCpdDetails,
    evidence: EvidenceUpload | None,
    keep_evidence: bool,
    once_key: str,
    today: date | None = None,
) -> LedgerEntry:
    """Append a correction of one of the person's external CPD entries, pointing at the original.

    Without a new file the current evidence carries over, unless `keep_evidence` is false.
    """
    check_details(details, today or datetime.now(LOCAL_TIME).date())
    entry = record.find(entry_id)
    if entry is None or entry.current_version is None:
        abort(404)
    original = entry.refers_to if entry.kind == EntryKind.ENTRY_CORRECTED.value and entry.refers_to else entry
    return _append_external(
        user_id=record.user.id,
        # A correction belongs to the school that holds the original, wherever the person is working now.
        school_id=original.entry.school_id,
        kind=EntryKind.ENTRY_CORRECTED,
        details=details,
        upload=evidence,
        carried_evidence=entry.current_version.evidence if keep_evidence else None,
        extra={"refers_to_entry": original.id},
        dedupe_key=f"correction:{once_key}",
    )


def _append_external(
    *,
    user_id: int,
    school_id: int | None,
    kind: EntryKind,
    details: ExternalCpdDetails,
    upload: EvidenceUpload | None,
    carried_evidence: dict[str, Any] | None,
    extra: dict[str, Any],
    dedupe_key: str,
) -> LedgerEntry:
    # Take the person's ledger lock (as append_entry does) before anything is written: a retry sent at
    # the same moment waits here, then finds this entry, and stores no second file. Taking it later
    # would deadlock, as each request's evidence row holds a key-share lock on the person's row.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    existing = _existing(user_id, dedupe_key)
    if existing is not None:
        return existing
    stored = store_evidence(user_id, upload) if upload is not None else None
    reference = _evidence_reference(stored) if stored is not None else carried_evidence
    try:
        entry = ledger.append_entry(
            user_id=user_id,
            school_id=school_id,
            kind=kind,
            payload={**details.payload(reference), **extra},
            occurred_at=datetime.combine(details.activity_date, time(12, 0), tzinfo=UTC),
            recorded_by_id=user_id,
            dedupe_key=dedupe_key,
        )
    except Exception:
        # The row goes with the rolled-back transaction; the file must go too.
        if stored is not None:
            _evidence_path(stored).unlink(missing_ok=True)
        raise
    if stored is not None and entry.payload.get("evidence") != reference:
        # The same form, sent twice at once, was recorded by the other request: keep only its file.
        _evidence_path(stored).unlink(missing_ok=True)
        db.session.delete(stored)
        db.session.flush()
    return entry


class CannotReviewOwn(PermissionError):
    """Leaders verify other people's CPD, never their own."""


def review_external_cpd(
    *,
    reviewer_id: int,
    school: School,
    record: CpdRecord,
    entry_id: int,
    seen_version_id: int,
    decision: ReviewDecision,
    comment: str,
    once_key: str,
) -> LedgerEntry:
    """Append a verification or rejection to the person's ledger, pointing at the version reviewed.

    `seen_version_id` is the version the reviewer was shown: if the person corrected the entry in the
    meantime, nothing is recorded, so that no one verifies details they have not read.
    """
    if record.user.id == reviewer_id:
        raise CannotReviewOwn("You cannot verify your own CPD. Ask another leader at your school.")
    entry = record.find(entry_id)
    if entry is None or entry.current_version is None or not owned_by(entry.current_version, school):
        # Another school's entry is not this school's to decide, even when the person shares it.
        abort(404)
    if entry.current_version.id != seen_version_id:
        raise ExternalCpdRefused("This entry was corrected after you opened it: check the new details")
    comment = comment.strip()
    if decision is ReviewDecision.REJECT and not comment:
        raise ExternalCpdRefused("Say why you are rejecting it")
    kind = EntryKind.ENTRY_VERIFIED if decision is ReviewDecision.VERIFY else EntryKind.ENTRY_REJECTED
    return ledger.append_entry(
        user_id=record.user.id,
        school_id=school.id,
        kind=kind,
        payload={"refers_to_entry": entry.current_version.id, "comment": comment},
        recorded_by_id=reviewer_id,
        dedupe_key=f"review:{reviewer_id}:{once_key}",
    )


@dataclass(frozen=True)
class AwaitingReview:
    person_id: int
    person_name: str
    entry: RecordEntry


def awaiting_review(school: School, *, reviewer_id: int, today: date | None = None) -> list[AwaitingReview]:
    """External CPD of the school's current people (not the reviewer's own) still to be verified.

    Two queries whatever the school's size: the external CPD entries with their decisions, and the
    names of the leaders who decided.
    """
    today = today or date.today()
    kinds = (*EXTERNAL_KINDS, *DECISION_KINDS)
    rows = db.session.execute(
        select(LedgerEntry, User)
        .join(User, User.id == LedgerEntry.user_id)
        .where(LedgerEntry.kind.in_(kinds), LedgerEntry.user_id != reviewer_id, _works_at(school, today))
        .order_by(LedgerEntry.user_id, LedgerEntry.sequence)
    ).all()
    by_person: dict[int, list[LedgerEntry]] = defaultdict(list)
    people: dict[int, User] = {}
    for entry, person in rows:
        by_person[entry.user_id].append(entry)
        people[entry.user_id] = person
    names = _names_of({entry.recorded_by_id for entry, _ in rows if entry.recorded_by_id is not None})
    waiting = []
    for person_id, entries in by_person.items():
        # Only this person's entries of these kinds: enough to tell each item's status.
        record = build_record(people[person_id], entries=entries, names=names, today=today)
        for entry in record.external_items:
            if entry.awaiting_verification and owned_by(entry, school):
                waiting.append(AwaitingReview(person_id, people[person_id].name, entry))
    return sorted(waiting, key=lambda row: (row.entry.recorded_on, row.entry.sequence))


def filters_from(args) -> tuple[int | None, str | None]:
    """The academic year and kind to show, from a query string; anything odd means "all"."""
    year_text = (args.get("year") or "").strip()
    year = int(year_text) if re.fullmatch(r"\d{4}", year_text) and 1950 <= int(year_text) <= 2100 else None
    kind = (args.get("kind") or "").strip()
    return year, (kind if re.fullmatch(r"[a-z_]{1,64}", kind) else None)
