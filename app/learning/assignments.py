"""Assigning modules to people: one person or everyone in a role, with a due date, told by email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.models import Assignment, Role, School, User
from app.people import school_people
from app.platform import AnotherPerson, public_url, queue_email


class AssignmentProblem(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class AssignmentResult:
    people: int
    created: int


def assign_training(
    *,
    catalogue: Catalogue,
    school: School,
    module_ids: list[str],
    user_id: int | None,
    role: str | None,
    due_on: date,
    note: str | None,
    assigned_by: User,
    once_key: str,
    today: date | None = None,
) -> AssignmentResult:
    """Assign modules and queue an email to each person. The same form sent twice assigns once."""
    today = today or date.today()
    if not module_ids or any(m not in catalogue.modules for m in module_ids):
        raise AssignmentProblem("modules", "Select at least one module")
    if due_on < today:
        raise AssignmentProblem("due_on", "The due date must be today or in the future")
    current = {user.id: (user, roles) for user, roles in school_people(school.id, today)}
    if user_id is not None:
        if user_id not in current:
            raise AssignmentProblem("person", "Choose someone who currently works at the school; they may have left")
        targets = [current[user_id][0]]
    elif role:
        targets = [user for user, roles in current.values() if Role(role) in roles]
        if not targets:
            raise AssignmentProblem("role", "Nobody at the school has that role")
    else:
        raise AssignmentProblem("audience", "Choose who to assign the training to")

    existing = {
        (a.user_id, a.module_id) for a in db.session.scalars(select(Assignment).where(Assignment.once_key == once_key))
    }
    created = 0
    for person in targets:
        new_modules = [m for m in module_ids if (person.id, m) not in existing]
        for module_id in new_modules:
            db.session.add(
                Assignment(
                    school_id=school.id,
                    user_id=person.id,
                    module_id=module_id,
                    due_on=due_on,
                    note=note,
                    assigned_by_id=assigned_by.id,
                    once_key=once_key,
                )
            )
            created += 1
        if new_modules:
            queue_email(
                kind="training_assigned",
                to=person.email,
                template="training_assigned",
                user_id=person.id,
                school_id=school.id,
                name=person.name,
                school=school.name,
                assigner=AnotherPerson(assigned_by.name),
                titles=[catalogue.modules[m].title for m in new_modules],
                due_on=due_on,
                note=note,
                link=public_url("learn.your_training"),
            )
    db.session.flush()
    return AssignmentResult(people=len(targets), created=created)
