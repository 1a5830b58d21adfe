"""The people in a school, always read through the school so that no query crosses schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Membership, Role, School, User


@dataclass(frozen=True)
class PersonInSchool:
    user: User
    memberships: list[Membership]

    @property
    def roles(self) -> list[Role]:
        return sorted({m.role for m in self.memberships}, key=list(Role).index)

    @property
    def started_on(self) -> date:
        return min(m.started_on for m in self.memberships)

    @property
    def invitation_pending(self) -> bool:
        return not self.user.has_password


def people_in_school(school: School, today: date | None = None) -> list[PersonInSchool]:
    """Everyone with a current role at the school, by name. One query, whatever the school's size."""
    today = today or date.today()
    memberships = db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .where(
            Membership.school_id == school.id,
            Membership.started_on <= today,
            (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
        )
        .options(selectinload(Membership.user))
        .order_by(User.name, User.id, Membership.id)
    )
    grouped: dict[int, list[Membership]] = {}
    for membership in memberships:
        grouped.setdefault(membership.user_id, []).append(membership)
    return [PersonInSchool(group[0].user, group) for group in grouped.values()]


def person_in_school_or_404(school: School, user_id: int) -> PersonInSchool:
    """The person as seen by this school. Someone with no role here is 'not found', never 'forbidden'."""
    memberships = list(
        db.session.scalars(
            select(Membership)
            .where(Membership.school_id == school.id, Membership.user_id == user_id)
            .options(selectinload(Membership.user))
            .order_by(Membership.id)
        )
    )
    if not memberships:
        abort(404)
    return PersonInSchool(memberships[0].user, memberships)
