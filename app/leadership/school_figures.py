"""Each school's training figures for an organisation's view, worked out by the database.

Grouped queries over the requirement projection (app/leadership/progress_projection.py) give every
school's people, completion by module and four of the five statutory checks at once, in a fixed
number of statements however many schools there are. Only the SENCO checks run in Python, over the
SENCOs alone (one or two a school), because they read each SENCO's qualifications from the ledger.

With `TRAINING_SNAPSHOT_VERIFY` on (the test settings), every result is compared with the Python
rules (app/leadership/snapshots.py), and a difference raises `ProjectionDiffers`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import current_app
from sqlalchemy import and_, case, func, literal, select

from app.content.model import Catalogue
from app.extensions import db
from app.leadership import progress_projection as projection
from app.leadership import senco_rules, snapshots, statutory
from app.leadership.check_state import CheckState
from app.leadership.snapshots import ModuleCompletion, ProjectionDiffers, SchoolFigures
from app.leadership.staff_training import TrainingStatus, add_months
from app.models import Membership, ModuleProgress, Role, School
from app.people import staff_by_school

COMPLETED = TrainingStatus.COMPLETED.value
STAFF_ROLES = sorted(statutory.STAFF_ROLES)


def figures_for_schools(catalogue: Catalogue, schools: list[School]) -> dict[int, SchoolFigures]:
    """Each school's figures, kept in this process under the school's training revision (which every
    node reads from the database, so a change through any node is seen by all at once); the schools
    not kept, or changed since, are worked out together by the database."""
    today = date.today()
    figures = snapshots.kept(
        schools, "projection-figures", lambda missing: _work_out(catalogue, missing, today), catalogue, today
    )
    if schools and current_app.config.get("TRAINING_SNAPSHOT_VERIFY"):
        by_rules = {
            school_id: SchoolFigures.of(training)
            for school_id, training in snapshots.work_out_by_rules(catalogue, schools, today).items()
        }
        for school in schools:
            if by_rules[school.id] != figures[school.id]:
                raise ProjectionDiffers(
                    f"{school.name}: the projection gives {figures[school.id]!r}, "
                    f"the rules give {by_rules[school.id]!r}"
                )
    return figures


def _work_out(catalogue: Catalogue, schools: list[School], today: date) -> dict[int, SchoolFigures]:
    if not schools:
        return {}
    ids = [school.id for school in schools]
    resolved = projection.resolved(ids, today)
    people = projection.current_people(ids, today)
    r = resolved.c

    headcount = dict(db.session.execute(select(people.c.school_id, func.count()).group_by(people.c.school_id)).all())
    completion: dict[int, dict[str, ModuleCompletion]] = defaultdict(dict)
    for school_id, module_id, required, completed in db.session.execute(
        select(r.school_id, r.module_id, func.count(), func.sum(case((r.status == COMPLETED, 1), else_=0)))
        # The national modules only: a school's own modules mean nothing beside other schools'.
        .where(r.module_id.in_(sorted(catalogue.modules)))
        .group_by(r.school_id, r.module_id)
    ):
        completion[school_id][module_id] = ModuleCompletion(int(completed or 0), required)
    order = {module_id: index for index, module_id in enumerate(catalogue.modules)}
    essentials = _essentials(ids, today)
    induction = _ta_induction(catalogue, ids, today)
    governors = _send_governors(ids, today)
    sencos = _senco_checks(schools, today)

    result = {}
    for school in schools:
        checks = [*sencos[school.id], governors.get(school.id, _no_send_governor(today))]
        checks.append(essentials.get(school.id, (statutory.TITLES["staff-essentials"], CheckState.MET, None)))
        checks.append(induction.get(school.id, (statutory.TITLES["ta-induction"], CheckState.MET, None)))
        result[school.id] = SchoolFigures(
            people=headcount.get(school.id, 0),
            completion=dict(sorted(completion[school.id].items(), key=lambda item: order.get(item[0], len(order)))),
            checks=tuple(checks),
        )
    return result


def _essentials(ids: list[int], today: date) -> dict[int, tuple]:
    """Check 4: every member of staff has completed SEND essentials (statutory.run_checks, in SQL)."""
    staff = (
        select(Membership.school_id, Membership.user_id)
        .where(Membership.school_id.in_(ids), Membership.is_current(today), Membership.role.in_(STAFF_ROLES))
        .distinct()
        .subquery("staff")
    )
    resolved = projection.resolved(ids, today, [statutory.ESSENTIALS])
    r = resolved.c
    cell = and_(r.school_id == staff.c.school_id, r.user_id == staff.c.user_id, r.module_id == statutory.ESSENTIALS)
    done = r.status == COMPLETED
    lapsed = projection.needs_action(r.status)
    query = (
        select(
            staff.c.school_id,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((lapsed, 1), else_=0)),
            func.min(case((lapsed, r.status_date))),
            func.min(case((and_(r.status.is_not(None), ~done), r.status_date))),
        )
        .select_from(staff.outerjoin(resolved, cell))
        .group_by(staff.c.school_id)
    )
    result = {}
    for school_id, staff_count, completed, overdue, first_lapse, first_due in db.session.execute(query):
        waiting = staff_count - (completed or 0)
        state = CheckState.MET if not waiting else (CheckState.NOT_MET if overdue else CheckState.AT_RISK)
        result[school_id] = (statutory.TITLES["staff-essentials"], state, projection.as_date(first_lapse or first_due))
    return result


def _ta_induction(catalogue: Catalogue, ids: list[int], today: date) -> dict[int, tuple]:
    """Check 5: teaching assistants who started in the last year completed their induction in time."""
    pathway = catalogue.pathways.get(Role.TEACHING_ASSISTANT.value)
    induction = sorted(pathway.required) if pathway else []
    new_tas = (
        select(Membership.school_id, Membership.user_id)
        .where(
            Membership.school_id.in_(ids),
            Membership.is_current(today),
            Membership.role == Role.TEACHING_ASSISTANT,
        )
        .group_by(Membership.school_id, Membership.user_id)
        .having(func.min(Membership.started_on) >= add_months(today, -statutory.NEW_TA_MONTHS))
        .subquery("new_tas")
    )
    resolved = projection.resolved(ids, today, induction, select(new_tas.c.user_id))
    r = resolved.c
    cell = and_(
        r.school_id == new_tas.c.school_id,
        r.user_id == new_tas.c.user_id,
        r.status != COMPLETED,
    )
    # Each new TA's earliest date among the induction modules not yet completed (none: on track).
    per_person = (
        select(new_tas.c.school_id, func.min(r.status_date).label("due"))
        .select_from(new_tas.outerjoin(resolved, cell))
        .group_by(new_tas.c.school_id, new_tas.c.user_id)
        .subquery("per_person")
    )
    p = per_person.c
    query = select(
        p.school_id,
        func.sum(case((and_(p.due.is_not(None), p.due < today), 1), else_=0)),
        func.sum(case((p.due >= today, 1), else_=0)),
        func.min(p.due),
    ).group_by(p.school_id)
    result = {}
    for school_id, late, in_window, red_on in db.session.execute(query):
        state = CheckState.NOT_MET if late else (CheckState.AT_RISK if in_window else CheckState.MET)
        result[school_id] = (statutory.TITLES["ta-induction"], state, projection.as_date(red_on))
    return result


def _send_governors(ids: list[int], today: date) -> dict[int, tuple]:
    """Check 3: a SEND governor is in post and has completed the SEND governor module."""
    trained = (
        select(literal(1))
        .where(
            ModuleProgress.user_id == Membership.user_id,
            ModuleProgress.module_id == statutory.SEND_GOVERNOR_MODULE,
            ModuleProgress.completed_at.is_not(None),
        )
        .exists()
    )
    query = (
        select(Membership.school_id, func.max(case((trained, 1), else_=0)))
        .where(Membership.school_id.in_(ids), Membership.is_current(today), Membership.role == Role.SEND_GOVERNOR)
        .group_by(Membership.school_id)
    )
    title = statutory.TITLES["send-governor"]
    return {
        school_id: (title, CheckState.MET if any_trained else CheckState.AT_RISK, None)
        for school_id, any_trained in db.session.execute(query)
    }


def _no_send_governor(today: date) -> tuple:
    return (statutory.TITLES["send-governor"], CheckState.NOT_MET, today)


def _senco_checks(schools: list[School], today: date) -> dict[int, list[tuple]]:
    """Checks 1 and 2 in Python, for each school's SENCOs only."""
    ids = [school.id for school in schools]
    senco_ids = select(Membership.user_id).where(
        Membership.school_id.in_(ids), Membership.is_current(today), Membership.role == Role.SENCO
    )
    staff = staff_by_school(ids, today, among=senco_ids)
    sencos = {
        school_id: [
            (person, list(roles), roles[Role.SENCO]) for person, roles in people.values() if Role.SENCO in roles
        ]
        for school_id, people in staff.items()
    }
    qualifications = senco_rules.senco_qualifications(
        (school_id, person.id) for school_id, found in sencos.items() for person, _, _ in found
    )
    return {
        school.id: [
            (check.title, check.state, check.red_on)
            for check in statutory.senco_checks(school, sencos[school.id], qualifications, today)
        ]
        for school in schools
    }
