"""Private reflection on a module's key questions: the person's alone; no page shows it to anyone else."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.content.model import Catalogue, Module
from app.extensions import db
from app.models import Role, User
from app.models.base import utcnow
from app.self_assessment.models import KeyQuestionReflection, RatingLevel
from app.self_assessment.rounds import StaleSave

# CPD time a submitted response is worth: ten minutes of reflective practice per question answered.
MINUTES_PER_QUESTION = 10
MAX_EVIDENCE = 2000
MAX_NEXT_STEP = 1000
MAX_ACTION = 500
MAX_OWNER = 200
MAX_NOTES = 2000
# The roles a round can invite: everyone who answers key questions (not administrators or officers).
INVITABLE_ROLES = (
    Role.GOVERNOR,
    Role.SEND_GOVERNOR,
    Role.HEADTEACHER,
    Role.SENCO,
    Role.TEACHER,
    Role.TEACHING_ASSISTANT,
)


@dataclass(frozen=True)
class ReflectionInput:
    rating: RatingLevel | None
    notes: str
    # The version of the reflection the page showed; 0 when there was none yet.
    expected_version: int


class StaleReflections(StaleSave):
    def __init__(self, question_ids: list[str]):
        super().__init__("Your reflections were changed somewhere else since you opened this page")
        self.question_ids = question_ids


def modules_with_key_questions(catalogue: Catalogue) -> list[Module]:
    return [module for module in catalogue.modules.values() if module.key_question_ids]


def reflections_of(user: User, question_ids: Iterable[str]) -> dict[str, KeyQuestionReflection]:
    """The person's own reflections on these questions. Only ever read for the person themselves."""
    ids = list(question_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(KeyQuestionReflection).where(
            KeyQuestionReflection.user_id == user.id, KeyQuestionReflection.question_id.in_(ids)
        )
    )
    return {row.question_id: row for row in rows}


def save_reflections(*, user: User, inputs: dict[str, ReflectionInput], now: datetime | None = None) -> None:
    """Save the person's private reflections; all or nothing if any was changed elsewhere meanwhile."""
    now = now or utcnow()
    stale = []
    for question_id, given in inputs.items():
        if given.expected_version == 0:
            try:
                with db.session.begin_nested():
                    db.session.add(
                        KeyQuestionReflection(
                            user_id=user.id,
                            question_id=question_id,
                            rating=given.rating,
                            notes=given.notes,
                            version=1,
                            updated_at=now,
                        )
                    )
            except IntegrityError:
                stale.append(question_id)
            continue
        claimed = db.session.execute(
            update(KeyQuestionReflection)
            .where(
                KeyQuestionReflection.user_id == user.id,
                KeyQuestionReflection.question_id == question_id,
                KeyQuestionReflection.version == given.expected_version,
            )
            .values(version=given.expected_version + 1, rating=given.rating, notes=given.notes, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            stale.append(question_id)
    if stale:
        raise StaleReflections(stale)
    db.session.flush()
