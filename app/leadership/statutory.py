"""Statutory SEND checks for a school, each with its rule, the evidence, and the date it turns red: a
qualified SENCO (the rules of regulation 49 are in senco.py), SEND essentials for every member of staff,
a trained SEND governor, and new teaching assistants' induction."""

from __future__ import annotations

from datetime import date

from app.content.model import Catalogue
from app.leadership.check_state import Check, CheckState, CountedPeople, rank
from app.leadership.senco_rules import SencoQualification, designation_check, qualification_check, senco_qualifications
from app.leadership.staff_training import Dashboard, TrainingStatus, add_months
from app.models import Role, School
from app.people import StaffMember

STAFF_ROLES = {Role.TEACHING_ASSISTANT, Role.TEACHER, Role.SENCO, Role.HEADTEACHER, Role.SCHOOL_ADMIN}
ESSENTIALS = "send-essentials"
SEND_GOVERNOR_MODULE = "send-governor"
NEW_TA_MONTHS = 12
TITLES = {
    "senco-designated": "A SENCO is designated and may hold the role",
    "senco-qualification": "The SENCO holds the mandatory qualification, or is on track",
    "send-governor": "A SEND governor is in post and trained",
    "staff-essentials": "Every member of staff has done SEND essentials",
    "ta-induction": "New teaching assistants complete induction in time",
}


def run_checks(
    catalogue: Catalogue,
    school: School,
    dashboard: Dashboard,
    qualifications: dict[tuple[int, int], list[SencoQualification]] | None = None,
) -> list[Check]:
    """Every statutory check for the school, from the dashboard's data and (unless given, for an
    organisation's many schools at once) one lookup of its SENCOs' qualifications."""
    today = dashboard.today
    sencos = [row for row in dashboard.rows if Role.SENCO in row.roles]
    if qualifications is None:
        qualifications = senco_qualifications([(school.id, row.user.id) for row in sencos])
    checks = senco_checks(
        school,
        [(row.user, row.roles, dashboard.role_started[row.user.id][Role.SENCO]) for row in sencos],
        qualifications,
        today,
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
            TITLES["send-governor"],
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
            TITLES["staff-essentials"],
            "All staff should know pupils' needs and what is expected of them; the SEND essentials module covers it.",
            CheckState.MET if not waiting else (CheckState.NOT_MET if overdue else CheckState.AT_RISK),
            f"{len(done)} of {len(staff)} staff have completed it; {len(overdue)} overdue.",
            min(due_dates) if due_dates else None,
            counted=(
                _counted("overdue", overdue),
                _counted("not yet done, still in time", [row for row in waiting if row not in overdue]),
                _counted("completed", done),
            ),
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
            TITLES["ta-induction"],
            f"Teaching assistants who started in the last {NEW_TA_MONTHS} months complete the induction pathway "
            f"within {pathway.new_starter_window_days if pathway else 42} days of starting.",
            CheckState.NOT_MET if late else (CheckState.AT_RISK if in_window else CheckState.MET),
            f"{len(new_tas)} new teaching assistants; {len(late)} past their window, {len(in_window)} still within it.",
            min(red_dates) if red_dates else None,
            counted=(
                _counted("past their window", late),
                _counted("still within it", in_window),
                _counted("completed induction", [row for row in new_tas if row not in late and row not in in_window]),
            ),
        )
    )
    return checks


def _counted(label: str, rows: list) -> CountedPeople:
    return CountedPeople(label, tuple((row.user.id, row.user.name) for row in rows))


def senco_checks(
    school: School,
    sencos: list[tuple[StaffMember, list[Role], date]],
    qualifications: dict[tuple[int, int], list[SencoQualification]],
    today: date,
) -> list[Check]:
    """Checks 1 and 2, from the school's SENCOs alone (each with their roles and when they became SENCO):
    the only checks that need a person's own record, so an organisation's view runs them for its
    SENCOs and works the others out in SQL."""
    checks: list[Check] = []

    # 1. A SENCO is designated, and may be the SENCO.
    title = TITLES["senco-designated"]
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
        found = [designation_check(person, roles) for person, roles, _ in sencos]
        state = max((state for state, _ in found), key=rank)
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
    worst: tuple[CheckState, str, date | None] | None = None
    evidence = []
    for person, _, appointed in sencos:
        state, text, red_on = qualification_check(
            appointed,
            qualifications.get((school.id, person.id), []),
            today,
            person.senco_over_12_months_before,
        )
        evidence.append(f"{person.name}: {text}")
        if worst is None or rank(state) > rank(worst[0]):
            worst = (state, text, red_on)
    checks.append(
        Check(
            "senco-qualification",
            TITLES["senco-qualification"],
            "A SENCO designated after 1 September 2009 who had not been a SENCO for more than 12 months before "
            "must gain the qualification within 3 years: the NPQ for SENCOs for courses started from "
            "1 September 2024; a NASENCO counts only if started before then and completed before 1 September 2027.",
            worst[0] if worst else CheckState.NOT_MET,
            " ".join(evidence) if evidence else "There is no SENCO.",
            worst[2] if worst else today,
        )
    )

    return checks
