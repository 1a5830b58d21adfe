"""The round's lead: the spread of everyone's answers (theirs alone to see), the agreed position on each
question, and the actions, which belong to the school and the set and stay until they are done."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import Role, User
from app.models.base import utcnow
from app.self_assessment.models import (
    ActionStatus,
    RatingLevel,
    ResponseStatus,
    SelfAssessmentAction,
    SelfAssessmentAnswer,
    SelfAssessmentPosition,
    SelfAssessmentResponse,
    SelfAssessmentRound,
)
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
class PositionInput:
    rating: RatingLevel
    evidence: str = ""


@dataclass
class QuestionSpread:
    """How the submitted answers to one question spread across the levels, with what each person said."""

    question: dict[str, Any]
    number: int
    counts: dict[RatingLevel, int] = field(default_factory=lambda: dict.fromkeys(RatingLevel, 0))
    answers: list[tuple[User, SelfAssessmentAnswer]] = field(default_factory=list)


def spread_of_answers(round_: SelfAssessmentRound) -> tuple[list[QuestionSpread], list[SelfAssessmentResponse]]:
    """For the lead: each question's spread of submitted ratings and evidence, and every response."""
    # One statement for the people and their answers, however many answered.
    responses = list(
        db.session.scalars(
            select(SelfAssessmentResponse)
            .join(SelfAssessmentResponse.user)
            .where(SelfAssessmentResponse.round_id == round_.id)
            .options(joinedload(SelfAssessmentResponse.user), joinedload(SelfAssessmentResponse.answers))
            .order_by(User.name, User.id)
        ).unique()
    )
    spreads = [QuestionSpread(question, number) for number, question in enumerate(round_.questions, start=1)]
    for response in responses:
        if response.status is not ResponseStatus.SUBMITTED:
            continue  # a draft is its author's until they submit it
        for spread in spreads:
            answer = response.answer_to(spread.question["id"])
            if answer is None:
                continue
            if answer.rating is not None:
                spread.counts[answer.rating] += 1
            spread.answers.append((response.user, answer))
    return spreads, responses


def positions_by_round(round_ids: Iterable[int]) -> dict[int, dict[str, SelfAssessmentPosition]]:
    ids = [round_id for round_id in round_ids if round_id is not None]
    found: dict[int, dict[str, SelfAssessmentPosition]] = {round_id: {} for round_id in ids}
    if ids:
        for position in db.session.scalars(
            select(SelfAssessmentPosition).where(SelfAssessmentPosition.round_id.in_(ids))
        ):
            found[position.round_id][position.question_id] = position
    return found


@dataclass(frozen=True)
class PositionRow:
    number: int
    question: dict[str, Any]
    position: SelfAssessmentPosition | None
    previous: SelfAssessmentPosition | None

    @property
    def change(self) -> str:
        """The change since the previous round, in words."""
        if self.position is None:
            return "Not known yet"
        if self.previous is None:
            return "First rating"
        difference = self.position.rating.score - self.previous.rating.score
        if difference == 0:
            return "No change"
        steps = abs(difference)
        return f"{'Up' if difference > 0 else 'Down'} {steps} level{'s' if steps > 1 else ''}"


def position_rows(round_: SelfAssessmentRound) -> list[PositionRow]:
    """Each question of the round with the agreed position, and the previous round's beside it."""
    positions = positions_by_round([round_.id, round_.previous_round_id])
    now = positions[round_.id]
    before = positions.get(round_.previous_round_id, {}) if round_.previous_round_id else {}
    return [
        PositionRow(number, question, now.get(question["id"]), before.get(question["id"]))
        for number, question in enumerate(round_.questions, start=1)
    ]


def actions_for_round(round_: SelfAssessmentRound) -> list[SelfAssessmentAction]:
    """The actions on the round's set raised in this round or before, that were not done before it
    opened: an action stays on every round's page until it is done."""
    raised_in = aliased(SelfAssessmentRound)
    return list(
        db.session.scalars(
            select(SelfAssessmentAction)
            .join(raised_in, SelfAssessmentAction.round_id == raised_in.id)
            .where(
                SelfAssessmentAction.school_id == round_.school_id,
                SelfAssessmentAction.set_id == round_.set_id,
                raised_in.opened_at <= round_.opened_at,
                (SelfAssessmentAction.completed_at.is_(None)) | (SelfAssessmentAction.completed_at >= round_.opened_at),
            )
            .order_by(SelfAssessmentAction.due_on, SelfAssessmentAction.id)
        )
    )


def save_position(
    *,
    round_: SelfAssessmentRound,
    agreed_by: User,
    expected_version: int,
    positions: dict[str, PositionInput],
    action_statuses: dict[int, ActionStatus],
    now: datetime | None = None,
) -> None:
    """Record the school's agreed rating and evidence for every question, and the actions' progress.

    `StaleSave` when the position was saved elsewhere since the page showing `expected_version`.
    """
    now = now or utcnow()
    claimed = db.session.execute(
        update(SelfAssessmentRound)
        .where(SelfAssessmentRound.id == round_.id, SelfAssessmentRound.position_version == expected_version)
        .values(position_version=expected_version + 1, position_agreed_at=now, position_agreed_by_id=agreed_by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise StaleSave("The position was saved somewhere else since you opened this page")
    existing = positions_by_round([round_.id])[round_.id]
    for question_id in round_.question_ids:
        given = positions[question_id]
        position = existing.get(question_id)
        if position is None:
            position = SelfAssessmentPosition(round_id=round_.id, question_id=question_id)
            db.session.add(position)
        position.rating = given.rating
        position.evidence = given.evidence
        position.updated_at = now
    if action_statuses:
        actions = db.session.scalars(
            select(SelfAssessmentAction).where(
                SelfAssessmentAction.id.in_(list(action_statuses)),
                SelfAssessmentAction.school_id == round_.school_id,
                SelfAssessmentAction.set_id == round_.set_id,
            )
        )
        for action in actions:
            status = action_statuses[action.id]
            if status is ActionStatus.DONE and action.status is not ActionStatus.DONE:
                action.completed_at = now
            elif status is not ActionStatus.DONE:
                action.completed_at = None
            action.status = status
    db.session.flush()
    db.session.refresh(round_)


def add_action(
    *,
    round_: SelfAssessmentRound,
    created_by: User,
    question_id: str,
    description: str,
    owner: str,
    due_on: date,
    status: ActionStatus,
    request_key: str,
) -> SelfAssessmentAction:
    """Add an action on one of the round's questions. The same form sent twice adds it once."""
    if question_id not in round_.question_ids:
        raise ValueError("the question is not part of this round")
    query = select(SelfAssessmentAction).where(
        SelfAssessmentAction.school_id == round_.school_id, SelfAssessmentAction.request_key == request_key
    )
    existing = db.session.scalars(query).first()
    if existing is not None:
        return existing
    action = SelfAssessmentAction(
        school_id=round_.school_id,
        set_id=round_.set_id,
        question_id=question_id,
        round_id=round_.id,
        description=description,
        owner=owner,
        due_on=due_on,
        status=status,
        created_by_id=created_by.id,
        completed_at=utcnow() if status is ActionStatus.DONE else None,
        request_key=request_key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(action)
    except IntegrityError:
        # The same form, sent again at the same moment, got there first.
        return db.session.scalars(query).one()
    return action


def overdue_actions(school_id: int, today: date) -> list[SelfAssessmentAction]:
    """The school's actions past their due date and not done, the longest overdue first."""
    return list(
        db.session.scalars(
            select(SelfAssessmentAction)
            .where(
                SelfAssessmentAction.school_id == school_id,
                SelfAssessmentAction.status != ActionStatus.DONE,
                SelfAssessmentAction.due_on < today,
            )
            .order_by(SelfAssessmentAction.due_on, SelfAssessmentAction.id)
        )
    )
