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

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.models import LedgerEntry, Role, School
from app.services.ledger import EntryKind
from app.services.staff_training import Dashboard, StaffMember, TrainingStatus, add_months

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
STAFF_ROLES = {Role.TEACHING_ASSISTANT, Role.TEACHER, Role.SENCO, Role.HEADTEACHER, Role.SCHOOL_ADMIN}
ESSENTIALS = "send-essentials"
SEND_GOVERNOR_MODULE = "send-governor"
NEW_TA_MONTHS = 12
# The CPD record entries a SENCO's qualification is read from.
QUALIFICATION_ENTRY_KINDS = frozenset(
    {EntryKind.EXTERNAL_CPD_RECORDED, EntryKind.ENTRY_CORRECTED, EntryKind.ENTRY_REJECTED}
)


class CheckState(enum.StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {CheckState.MET: "Met", CheckState.AT_RISK: "At risk", CheckState.NOT_MET: "Not met"}[self]

    @property
    def tag_class(self) -> str:
        return {
            CheckState.MET: "govuk-tag--green",
            CheckState.AT_RISK: "govuk-tag--yellow",
            CheckState.NOT_MET: "govuk-tag--red",
        }[self]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    rule: str
    state: CheckState
    evidence: str
    red_on: date | None = None


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


def senco_qualifications(user_ids: list[int]) -> dict[int, list[SencoQualification]]:
    """Each SENCO's mandatory-qualification entries on their CPD record, as they stand after corrections
    and without any a leader rejected. Reads only these people's external CPD entries."""
    if not user_ids:
        return {}
    kinds = [kind.value for kind in QUALIFICATION_ENTRY_KINDS]
    entries = db.session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.user_id.in_(user_ids), LedgerEntry.kind.in_(kinds))
        .order_by(LedgerEntry.user_id, LedgerEntry.sequence)
    ).all()
    superseded = {e.payload.get("refers_to_entry") for e in entries if e.kind == EntryKind.ENTRY_CORRECTED.value}
    rejected = {e.payload.get("refers_to_entry") for e in entries if e.kind == EntryKind.ENTRY_REJECTED.value}
    result: dict[int, list[SencoQualification]] = {user_id: [] for user_id in user_ids}
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
        result[entry.user_id].append(SencoQualification(qualification["kind"], status, started, completed_on))
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


def run_checks(
    catalogue: Catalogue,
    school: School,
    dashboard: Dashboard,
    qualifications: dict[int, list[SencoQualification]] | None = None,
) -> list[Check]:
    """Every statutory check for the school, from the dashboard's data and (unless given, for an
    organisation's many schools at once) one lookup of its SENCOs' qualifications."""
    today = dashboard.today
    checks: list[Check] = []
    sencos = [row for row in dashboard.rows if Role.SENCO in row.roles]

    # 1. A SENCO is designated, and may be the SENCO.
    title = "A SENCO is designated and may hold the role"
    rule = (
        "The governing board must designate a SENCO who is a qualified teacher working at the school and has "
        "completed statutory induction (or was not required to), or who is the headteacher."
    )
    if not sencos:
        checks.append(
            Check(
                "senco-designated",
                title,
                rule,
                CheckState.NOT_MET,
                "Nobody at the school currently has the SENCO role.",
                today,
            )
        )
    else:
        found = [designation_check(row.user, row.roles) for row in sencos]
        state = max((state for state, _ in found), key=_rank)
        checks.append(
            Check(
                "senco-designated",
                title,
                rule,
                state,
                "SENCO: " + " ".join(text for _, text in found),
                today if state is CheckState.NOT_MET else None,
            )
        )

    # 2. The SENCO's mandatory qualification within 3 years of appointment.
    held = qualifications if qualifications is not None else senco_qualifications([row.user.id for row in sencos])
    appointed = {row.user.id: dashboard.role_started[row.user.id][Role.SENCO] for row in sencos}
    worst: tuple[CheckState, str, date | None] | None = None
    evidence = []
    for row in sencos:
        state, text, red_on = qualification_check(
            appointed[row.user.id], held.get(row.user.id, []), today, row.user.senco_over_12_months_before
        )
        evidence.append(f"{row.user.name}: {text}")
        if worst is None or _rank(state) > _rank(worst[0]):
            worst = (state, text, red_on)
    checks.append(
        Check(
            "senco-qualification",
            "The SENCO holds the mandatory qualification, or is on track",
            "A SENCO designated after 1 September 2009 who had not been a SENCO for more than 12 months before "
            "must gain the qualification within 3 years: the NPQ for SENCOs for courses started from "
            "1 September 2024; a NASENCO counts only if started before then and completed before 1 September 2027.",
            worst[0] if worst else CheckState.NOT_MET,
            " ".join(evidence) if evidence else "There is no SENCO.",
            worst[2] if worst else today,
        )
    )

    # 3. A SEND governor is in post and has done the SEND governor module.
    send_governors = [row for row in dashboard.rows if Role.SEND_GOVERNOR in row.roles]
    trained = {
        row.user.id
        for row in send_governors
        if (progress := dashboard.progress.get(row.user.id, {}).get(SEND_GOVERNOR_MODULE)) and progress.completed_at
    }
    if not send_governors:
        state, text = CheckState.NOT_MET, "No SEND governor (or named board member for SEND) is recorded."
    elif not trained:
        state = CheckState.AT_RISK
        names = ", ".join(r.user.name for r in send_governors)
        text = f"SEND governor: {names}; the SEND governor module is not completed."
    else:
        state, text = (
            CheckState.MET,
            f"SEND governor: {', '.join(r.user.name for r in send_governors if r.user.id in trained)}, trained.",
        )
    checks.append(
        Check(
            "send-governor",
            "A SEND governor is in post and trained",
            "The board should have a governor or committee with oversight of SEND, who has had appropriate training.",
            state,
            text,
            today if state is CheckState.NOT_MET else None,
        )
    )

    # 4. Every member of staff has done the SEND essentials module.
    staff = [row for row in dashboard.rows if STAFF_ROLES & set(row.roles)]
    done = [row for row in staff if (cell := row.cells.get(ESSENTIALS)) and cell.status is TrainingStatus.COMPLETED]
    done_ids = {row.user.id for row in done}
    waiting = [row for row in staff if row.user.id not in done_ids]
    overdue = [row for row in waiting if (cell := row.cells.get(ESSENTIALS)) and cell.status.needs_action]
    # Red from the earliest lapse if any has lapsed; otherwise it turns red on the earliest due date.
    lapsed = [row.cells[ESSENTIALS].date for row in overdue]
    due_dates = lapsed or [row.cells[ESSENTIALS].date for row in waiting if ESSENTIALS in row.cells]
    checks.append(
        Check(
            "staff-essentials",
            "Every member of staff has done SEND essentials",
            "All staff should know pupils' needs and what is expected of them; the SEND essentials module covers it.",
            CheckState.MET if not waiting else (CheckState.NOT_MET if overdue else CheckState.AT_RISK),
            f"{len(done)} of {len(staff)} staff have completed it; {len(overdue)} overdue.",
            min(due_dates) if due_dates else None,
        )
    )

    # 5. Every new teaching assistant completed their induction within its window.
    pathway = catalogue.pathways.get(Role.TEACHING_ASSISTANT.value)
    induction = set(pathway.required) if pathway else set()
    new_tas = [
        row
        for row in dashboard.rows
        if Role.TEACHING_ASSISTANT in row.roles
        and dashboard.role_started[row.user.id][Role.TEACHING_ASSISTANT] >= add_months(today, -NEW_TA_MONTHS)
    ]
    late, in_window = [], []
    red_dates = []
    for row in new_tas:
        cells = [row.cells[m] for m in induction if m in row.cells]
        if all(c.status is TrainingStatus.COMPLETED for c in cells):
            continue
        due = min((c.date for c in cells if c.status is not TrainingStatus.COMPLETED), default=today)
        (late if due < today else in_window).append(row)
        red_dates.append(due)
    checks.append(
        Check(
            "ta-induction",
            "New teaching assistants complete induction in time",
            f"Teaching assistants who started in the last {NEW_TA_MONTHS} months complete the induction pathway "
            f"within {pathway.new_starter_window_days if pathway else 42} days of starting.",
            CheckState.NOT_MET if late else (CheckState.AT_RISK if in_window else CheckState.MET),
            f"{len(new_tas)} new teaching assistants; {len(late)} past their window, {len(in_window)} still within it.",
            min(red_dates) if red_dates else None,
        )
    )
    return checks


def _rank(state: CheckState) -> int:
    return [CheckState.MET, CheckState.AT_RISK, CheckState.NOT_MET].index(state)
