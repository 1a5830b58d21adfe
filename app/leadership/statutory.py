"""Statutory SEND checks for a school: each with its rule, the evidence, and the date it turns red.

The rules come from the guidance, updated for the SENCO's mandatory qualification: since
1 September 2024 it is the NPQ for SENCOs; a completed NASENCO, or one started before that date
and finished within the 3 years, still counts; SENCOs in post before 1 September 2009 are exempt.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, select

from app.content.model import Catalogue
from app.extensions import db
from app.leadership.staff_training import Dashboard, TrainingStatus, add_months
from app.models import LedgerEntry, RecordSharing, Role, School
from app.records import EntryKind

NPQ_BECAME_MANDATORY = date(2024, 9, 1)
NASENCO_EXEMPTION_BEFORE = date(2009, 9, 1)
QUALIFICATION_YEARS = 3
# The NPQ for SENCOs takes 18 to 22 months: with less time than this left, a SENCO not yet enrolled is at risk.
NPQ_LONGEST_MONTHS = 22
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
        held = SencoQualification(qualification["kind"], qualification.get("status", ""), started)
        for school_id in schools_of[entry.user_id]:
            if owner(entry) == school_id or (school_id, entry.user_id) in shared:
                result[(school_id, entry.user_id)].append(held)
    return result


def qualification_check(
    appointed_on: date, held: list[SencoQualification], today: date
) -> tuple[CheckState, str, date | None]:
    """The SENCO mandatory qualification rule for one SENCO: (state, evidence, the date it turns red)."""
    if appointed_on < NASENCO_EXEMPTION_BEFORE:
        return CheckState.MET, f"In post since {appointed_on:%-d %B %Y}, before 1 September 2009: not required.", None
    deadline = add_months(appointed_on, QUALIFICATION_YEARS * 12)
    completed = [q for q in held if q.status == "completed"]
    if completed:
        names = ", ".join("NPQ for SENCOs" if q.kind == "npq_senco" else "NASENCO" for q in completed)
        return CheckState.MET, f"Holds the {names}.", None
    counted = [
        q for q in held if q.status == "enrolled" and (q.kind == "npq_senco" or q.started_on < NPQ_BECAME_MANDATORY)
    ]
    late_nasenco = [q for q in held if q.kind == "nasenco" and q.status == "enrolled" and q not in counted]
    if deadline < today:
        return (
            CheckState.NOT_MET,
            f"The qualification was due by {deadline:%-d %B %Y}, 3 years after appointment, "
            "and is not recorded as completed.",
            deadline,
        )
    if counted:
        course = "NPQ for SENCOs" if counted[0].kind == "npq_senco" else "NASENCO (started before September 2024)"
        return (
            CheckState.AT_RISK if deadline - today < timedelta(days=90) else CheckState.MET,
            (f"Enrolled on the {course}; it must be completed by {deadline:%-d %B %Y}."),
            deadline,
        )
    note = (
        " A NASENCO started from September 2024 does not count: the NPQ for SENCOs is the mandatory qualification."
        if late_nasenco
        else ""
    )
    return (
        CheckState.AT_RISK,
        f"Not yet enrolled on the NPQ for SENCOs, which must be completed by {deadline:%-d %B %Y} "
        f"and takes 18 to 22 months.{note}",
        deadline,
    )


def run_checks(
    catalogue: Catalogue,
    school: School,
    dashboard: Dashboard,
    qualifications: dict[tuple[int, int], list[SencoQualification]] | None = None,
) -> list[Check]:
    """Every statutory check for the school, from the dashboard's data and (unless given, for an
    organisation's many schools at once) one lookup of its SENCOs' qualifications."""
    today = dashboard.today
    checks: list[Check] = []
    sencos = [row for row in dashboard.rows if Role.SENCO in row.roles]

    # 1. A SENCO is designated, and is a qualified teacher.
    if not sencos:
        checks.append(
            Check(
                "senco-designated",
                "A SENCO is designated and is a qualified teacher",
                "The governing board must make sure there is a qualified teacher designated as SENCO.",
                CheckState.NOT_MET,
                "Nobody at the school currently has the SENCO role.",
                today,
            )
        )
    else:
        unqualified = [row.user.name for row in sencos if not row.user.qualified_teacher]
        checks.append(
            Check(
                "senco-designated",
                "A SENCO is designated and is a qualified teacher",
                "The governing board must make sure there is a qualified teacher designated as SENCO.",
                CheckState.NOT_MET if unqualified else CheckState.MET,
                (
                    f"Not recorded as a qualified teacher: {', '.join(unqualified)}."
                    if unqualified
                    else f"SENCO: {', '.join(row.user.name for row in sencos)}, recorded as a qualified teacher."
                ),
                today if unqualified else None,
            )
        )

    # 2. The SENCO's mandatory qualification within 3 years of appointment.
    if qualifications is None:
        qualifications = senco_qualifications([(school.id, row.user.id) for row in sencos])
    appointed = {row.user.id: dashboard.role_started[row.user.id][Role.SENCO] for row in sencos}
    worst: tuple[CheckState, str, date | None] | None = None
    evidence = []
    for row in sencos:
        state, text, red_on = qualification_check(
            appointed[row.user.id], qualifications.get((school.id, row.user.id), []), today
        )
        evidence.append(f"{row.user.name}: {text}")
        if worst is None or _rank(state) > _rank(worst[0]):
            worst = (state, text, red_on)
    checks.append(
        Check(
            "senco-qualification",
            "The SENCO holds the mandatory qualification, or is on track",
            "A SENCO new to the role must achieve the mandatory qualification within 3 years of appointment: "
            "the NPQ for SENCOs since 1 September 2024 (a NASENCO held, or started before then, still counts).",
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
