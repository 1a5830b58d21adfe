"""Statutory SEND checks for a school: each with its rule, the evidence, and the date it turns red.

The SENCO checks follow regulation 49 of the SEND Regulations 2014 as amended by SI 2024/535 (in
force 1 September 2024), exactly as these rules:

Who may be SENCO (reg 49(2) and (3)). A qualified teacher working at the school who has completed
statutory induction, or was not required to; or the headteacher (an acting head holds the
headteacher role here). The school records qualified teacher status and induction on the person's
staff record; induction not yet recorded is "at risk", not "not met".

Who must gain the qualification (reg 49(4)). A person designated SENCO at the school after
1 September 2009 (so not on that day or before) who had not previously been a SENCO, at that or any
school, for more than 12 months in total. The designation date is the day their SENCO role at the
school started; the earlier experience is recorded on their staff record (not recorded counts as none,
and the evidence says so). Nobody else has to gain it: not a SENCO designated on or before
1 September 2009, nor one with more than 12 months as a SENCO before this designation. The rule
applies to a headteacher who is the SENCO as to anyone.

By when, and which qualification (reg 49(4) and (7)). Within 3 years of the designation: from the
third anniversary of the designation the check is red. The qualification is the NPQ for SENCOs for
anyone who starts a course on or after 1 September 2024. A NASENCO counts only if the course was
started before 1 September 2024 and completed before 1 September 2027: one still in progress turns
red at the earlier of the 3-year deadline and 1 September 2027 (unless by then the SENCO is on the
NPQ for SENCOs with time left), and one started on or after 1 September 2024 does not count at all.
A qualification's start is the day the person enrolled, recorded as the date of the qualification on
their CPD record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, select

from app.extensions import db
from app.leadership.check_state import CheckState
from app.leadership.staff_training import add_months
from app.models import LedgerEntry, RecordSharing, Role
from app.people import StaffMember
from app.records import EntryKind

# Designated after this day (and new to the role), a SENCO must gain the qualification: reg 49(4).
QUALIFICATION_RULE_AFTER = date(2009, 9, 1)
# A course started on or after this day must be the NPQ for SENCOs: reg 49(7).
NPQ_BECAME_MANDATORY = date(2024, 9, 1)
# A NASENCO counts only if completed before this day: reg 49(7).
NASENCO_COMPLETE_BEFORE = date(2027, 9, 1)
QUALIFICATION_YEARS = 3
# More time than this as a SENCO before, in total, and the qualification rule does not apply.
EARLIER_SENCO_MONTHS = 12
# The NPQ for SENCOs takes 18 to 22 months: with less time than this left, a SENCO not yet enrolled is at risk.
NPQ_LONGEST_MONTHS = 22
# With less time than this left on a course, it is at risk of missing its date.
CLOSE_TO_DEADLINE = timedelta(days=90)
# The CPD record entries a SENCO's qualification is read from.
QUALIFICATION_ENTRY_KINDS = frozenset(
    {EntryKind.EXTERNAL_CPD_RECORDED, EntryKind.ENTRY_CORRECTED, EntryKind.ENTRY_REJECTED}
)


@dataclass(frozen=True)
class SencoQualification:
    kind: str  # npq_senco | nasenco
    status: str  # enrolled | completed
    started_on: date
    completed_on: date | None = None

    @property
    def name(self) -> str:
        return "NPQ for SENCOs" if self.kind == "npq_senco" else "NASENCO"

    @property
    def is_completed(self) -> bool:
        return self.status == "completed"

    def counts(self, today: date) -> bool:
        """Whether this course can meet the rule: completed, or still able to be (reg 49(7))."""
        if self.kind == "npq_senco":
            return True
        if self.started_on >= NPQ_BECAME_MANDATORY:
            return False
        if self.is_completed:
            return self.completed_on is None or self.completed_on < NASENCO_COMPLETE_BEFORE
        return today < NASENCO_COMPLETE_BEFORE

    def last_day_to_finish(self, deadline: date) -> date:
        """The first day it is late: the 3-year deadline, or for a NASENCO 1 September 2027 if sooner."""
        return deadline if self.kind == "npq_senco" else min(deadline, NASENCO_COMPLETE_BEFORE)


def senco_qualifications(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[SencoQualification]]:
    """For each (school, SENCO), the mandatory-qualification entries on the SENCO's CPD record that the
    school may see, as they stand after corrections and without any the recording school rejected.

    A school sees what was recorded while the person worked there, and what they recorded elsewhere
    only while they share their record with it (`record_sharing`). Reads only these people's external
    CPD entries, with their sharing, in one query.
    """
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return {}
    user_ids = sorted({user_id for _, user_id in pairs})
    kinds = [kind.value for kind in QUALIFICATION_ENTRY_KINDS]
    # One statement: the entries, each with the schools its person shares their record with.
    rows = db.session.execute(
        select(LedgerEntry, RecordSharing.school_id)
        .outerjoin(
            RecordSharing,
            and_(RecordSharing.user_id == LedgerEntry.user_id, RecordSharing.shared_at.is_not(None)),
        )
        .where(LedgerEntry.user_id.in_(user_ids), LedgerEntry.kind.in_(kinds))
        .order_by(LedgerEntry.user_id, LedgerEntry.sequence)
    ).all()
    entries = list({entry.id: entry for entry, _ in rows}.values())
    shared = {(school_id, entry.user_id) for entry, school_id in rows if school_id is not None}
    by_id = {entry.id: entry for entry in entries}
    superseded = {e.payload.get("refers_to_entry") for e in entries if e.kind == EntryKind.ENTRY_CORRECTED.value}
    rejected = {e.payload.get("refers_to_entry") for e in entries if e.kind == EntryKind.ENTRY_REJECTED.value}

    def owner(entry: LedgerEntry) -> int | None:
        # A correction belongs with what it corrects: the school that holds the original.
        original = by_id.get(entry.payload.get("refers_to_entry"))
        if entry.kind == EntryKind.ENTRY_CORRECTED.value and original is not None:
            return owner(original)
        return entry.school_id

    result: dict[tuple[int, int], list[SencoQualification]] = {pair: [] for pair in pairs}
    schools_of: dict[int, list[int]] = {}
    for school_id, user_id in pairs:
        schools_of.setdefault(user_id, []).append(school_id)
    for entry in entries:
        if entry.kind == EntryKind.ENTRY_REJECTED.value or entry.id in superseded or entry.id in rejected:
            continue
        qualification = entry.payload.get("qualification")
        if not isinstance(qualification, dict) or qualification.get("kind") not in {"npq_senco", "nasenco"}:
            continue
        started = date.fromisoformat(entry.payload.get("date") or entry.occurred_at.date().isoformat())
        status = qualification.get("status", "")
        completed = qualification.get("completed_on")
        # A completion recorded without its day was complete by the day it was recorded.
        completed_on = (
            date.fromisoformat(completed) if completed else entry.occurred_at.date() if status == "completed" else None
        )
        held = SencoQualification(qualification["kind"], status, started, completed_on)
        for school_id in schools_of[entry.user_id]:
            if owner(entry) == school_id or (school_id, entry.user_id) in shared:
                result[(school_id, entry.user_id)].append(held)
    return result


def qualification_required(designated_on: date, over_12_months_before: bool | None) -> tuple[bool, str]:
    """Whether reg 49(4) requires this SENCO to gain the qualification, and why not if it does not."""
    if designated_on <= QUALIFICATION_RULE_AFTER:
        return False, f"SENCO here since {designated_on:%-d %B %Y}, not after 1 September 2009: not required."
    if over_12_months_before:
        return False, "Had been a SENCO for more than 12 months in total before becoming SENCO here: not required."
    return True, ""


def qualification_check(
    designated_on: date,
    held: list[SencoQualification],
    today: date,
    over_12_months_before: bool | None = None,
) -> tuple[CheckState, str, date | None]:
    """The SENCO mandatory qualification rule for one SENCO (the module docstring gives it in full):
    (state, evidence, the date it turns red)."""
    required, reason = qualification_required(designated_on, over_12_months_before)
    if not required:
        return CheckState.MET, reason, None
    deadline = add_months(designated_on, QUALIFICATION_YEARS * 12)
    unrecorded = (
        " Time as a SENCO before becoming SENCO here is not recorded, so it is taken as none."
        if over_12_months_before is None
        else ""
    )
    completed = [q for q in held if q.is_completed and q.counts(today)]
    if completed:
        return CheckState.MET, f"Holds the {', '.join(q.name for q in completed)}.", None
    courses = sorted(
        (q for q in held if not q.is_completed and q.counts(today)), key=lambda q: q.last_day_to_finish(deadline)
    )
    courses.reverse()  # the course with the most time left is the one to rely on
    not_counted = [q for q in held if not q.counts(today)]
    note = "".join(_why_not_counted(q) for q in not_counted)
    if deadline <= today:
        return (
            CheckState.NOT_MET,
            f"The qualification had to be held within 3 years of becoming SENCO here, before "
            f"{deadline:%-d %B %Y}, and is not recorded as completed.{note}{unrecorded}",
            deadline,
        )
    if courses:
        course = courses[0]
        finish_before = course.last_day_to_finish(deadline)
        label = "NPQ for SENCOs" if course.kind == "npq_senco" else "NASENCO (started before 1 September 2024)"
        return (
            CheckState.AT_RISK if finish_before - today < CLOSE_TO_DEADLINE else CheckState.MET,
            f"Enrolled on the {label}; it must be completed before {finish_before:%-d %B %Y}.{note}{unrecorded}",
            finish_before,
        )
    lapsed = [
        q for q in not_counted if q.kind == "nasenco" and not q.is_completed and q.started_on < NPQ_BECAME_MANDATORY
    ]
    if lapsed:
        # The course they were relying on can no longer meet the rule: red from the day it stopped counting.
        return (
            CheckState.NOT_MET,
            f"The NASENCO they were taking was not completed before 1 September 2027, so it no longer counts. "
            f"They must now gain the NPQ for SENCOs before {deadline:%-d %B %Y}.{unrecorded}",
            NASENCO_COMPLETE_BEFORE,
        )
    return (
        CheckState.AT_RISK,
        f"Not yet enrolled on the NPQ for SENCOs, which must be completed before {deadline:%-d %B %Y} "
        f"and takes 18 to 22 months.{note}{unrecorded}",
        deadline,
    )


def _why_not_counted(qualification: SencoQualification) -> str:
    if qualification.started_on >= NPQ_BECAME_MANDATORY:
        return (
            " A NASENCO started on or after 1 September 2024 does not count: "
            "the NPQ for SENCOs is the mandatory qualification."
        )
    if qualification.is_completed:
        return " A NASENCO completed on or after 1 September 2027 does not count."
    return " A NASENCO not completed before 1 September 2027 no longer counts."


def designation_check(person: StaffMember, roles: list[Role]) -> tuple[CheckState, str]:
    """Whether one SENCO may be the SENCO (reg 49(2) and (3))."""
    if Role.HEADTEACHER in roles:
        return CheckState.MET, f"{person.name} is the headteacher, who may be the SENCO."
    if not person.qualified_teacher:
        return CheckState.NOT_MET, f"{person.name} is not recorded as a qualified teacher."
    if person.induction_completed is None:
        return (
            CheckState.AT_RISK,
            f"{person.name} is recorded as a qualified teacher; whether they have completed statutory induction "
            "(or were not required to) is not recorded.",
        )
    if not person.induction_completed:
        return CheckState.NOT_MET, f"{person.name} is a qualified teacher who has not completed statutory induction."
    return CheckState.MET, f"{person.name} is a qualified teacher who has completed induction (or was not required to)."
