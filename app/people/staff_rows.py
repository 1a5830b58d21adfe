"""A school's current staff as plain rows (one query for any number of schools): what the training
figures, statutory checks and assignments read of each person, kept small so that worked-out figures
can be held in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Role, TeacherStatusRecord, User


@dataclass(frozen=True, slots=True)
class StaffMember:
    """What the dashboard shows and checks of a person: plain values, so a worked-out dashboard can be kept."""

    id: int
    name: str
    email: str
    active: bool
    qualified_teacher: bool
    induction_completed: bool | None = None
    senco_over_12_months_before: bool | None = None


def staff_by_school(
    school_ids: list[int], today: date, among=None
) -> dict[int, dict[int, tuple[StaffMember, dict[Role, date]]]]:
    """school -> person -> (the person, when they started each current role), in name order. One query,
    of plain rows: building thousands of ORM objects was most of an organisation's dashboard time.
    `among`, a query of user ids, limits it to those people (an organisation's SENCOs, say)."""
    query = (
        select(
            Membership.school_id,
            Membership.role,
            Membership.started_on,
            User.id,
            User.name,
            User.email,
            User.active,
            TeacherStatusRecord.qualified,
            TeacherStatusRecord.induction_completed,
            TeacherStatusRecord.senco_over_12_months_before,
        )
        .join(User, User.id == Membership.user_id)
        # Each school's own record of the person's QTS (app/models/people.py says why it is per school).
        .outerjoin(
            TeacherStatusRecord,
            (TeacherStatusRecord.school_id == Membership.school_id) & (TeacherStatusRecord.user_id == User.id),
        )
        .where(Membership.school_id.in_(school_ids), Membership.is_current(today))
        .order_by(User.name, User.id)
    )
    if among is not None:
        query = query.where(Membership.user_id.in_(among))
    rows = db.session.execute(query)
    by_school: dict[int, dict[int, tuple[StaffMember, dict[Role, date]]]] = {school_id: {} for school_id in school_ids}
    for school_id, role, started_on, user_id, name, email, active, qualified, induction, experienced in rows:
        people = by_school[school_id]
        if user_id not in people:
            member = StaffMember(user_id, name, email, bool(active), bool(qualified), induction, experienced)
            people[user_id] = (member, {})
        roles = people[user_id][1]
        roles[role] = min(roles.get(role, started_on), started_on)
    return by_school


def school_people(school_id: int, today: date) -> list[tuple[StaffMember, dict[Role, date]]]:
    """Everyone with a current role at the school, with when they started each role. One query."""
    return list(staff_by_school([school_id], today)[school_id].values())
