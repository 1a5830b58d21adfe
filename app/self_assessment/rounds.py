"""Self-assessment on the key questions: rounds, responses, the school's agreed position, actions,
the trend over time, and private reflection.

A leader opens a round on one key-question set for their school; the people holding the chosen roles
are invited (a response row each, made there and then). Each invited person rates every question,
gives their evidence and a next step, saves drafts and submits once; submitting appends
`self_assessment_submitted` to their CPD ledger. The round's lead alone sees the individual answers
and records the school's agreed position and actions; the board and the school's leaders read the
position, and an organisation's officer reads only agreed positions.

Saves carry the version of the row they were made from: a save from an older copy of the page (two
tabs, or two people) is refused with `StaleSave`, never applied over newer text.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import abort
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.content.model import Catalogue, KeyQuestionSet, Module
from app.extensions import db
from app.models import (
    ActionStatus,
    KeyQuestionReflection,
    Membership,
    Organisation,
    RatingLevel,
    ResponseStatus,
    Role,
    School,
    SelfAssessmentAction,
    SelfAssessmentAnswer,
    SelfAssessmentPosition,
    SelfAssessmentResponse,
    SelfAssessmentRound,
    User,
)
from app.models.base import utcnow
from app.permissions import Office, may_open_round
from app.services import ledger
from app.services.ledger import EntryKind

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


class SelfAssessmentProblem(Exception):
    """A change the rules refuse; the message says why, in words for the person."""


class ClosingDateInPast(SelfAssessmentProblem):
    pass


class RoundAlreadyOpen(SelfAssessmentProblem):
    def __init__(self, existing: SelfAssessmentRound):
        super().__init__(
            f"A round on {existing.set_title} is already open until {existing.closes_on:%-d %B %Y}. "
            "Wait for it to close before opening another."
        )
        self.existing = existing


class NoOneToInvite(SelfAssessmentProblem):
    pass


class NotAllowedToOpen(SelfAssessmentProblem):
    pass


class RoundClosed(SelfAssessmentProblem):
    def __init__(self, round_: SelfAssessmentRound):
        super().__init__(
            f"This round closed on {round_.closes_on:%-d %B %Y}, so answers can no longer be saved or "
            "submitted. Your saved draft has been kept."
        )


class AlreadySubmitted(SelfAssessmentProblem):
    pass


class RatingsMissing(SelfAssessmentProblem):
    def __init__(self, question_ids: list[str]):
        super().__init__("Rate every question before you submit")
        self.question_ids = question_ids


class StaleSave(SelfAssessmentProblem):
    """The row changed since the page was opened; nothing was saved."""


@dataclass(frozen=True)
class AnswerInput:
    rating: RatingLevel | None
    evidence: str = ""
    next_step: str = ""


@dataclass(frozen=True)
class PositionInput:
    rating: RatingLevel
    evidence: str = ""


def new_request_key() -> str:
    """A one-time key for a form that creates something: the same key twice creates it once."""
    return secrets.token_urlsafe(24)


# ---- the catalogue ------------------------------------------------------------------------------


def questions_as_asked(question_set: KeyQuestionSet) -> list[dict[str, Any]]:
    """The set's questions as a round keeps them: id, text and the four level descriptors."""
    return [
        {
            "id": question.id,
            "text": question.text,
            "levels": {level.value: question.levels[level] for level in RatingLevel},
        }
        for question in question_set.questions
    ]


def sets_person_may_open(
    catalogue: Catalogue, roles: frozenset[Role], offices: frozenset[Office] = frozenset()
) -> list[KeyQuestionSet]:
    """The sets someone with these roles and offices at a school may open rounds on."""
    return [
        question_set
        for question_set in catalogue.key_question_sets.values()
        if may_open_round(roles, question_set.id, offices)
    ]


# ---- rounds -------------------------------------------------------------------------------------


def _lock_school(school: School) -> None:
    # Opening rounds at one school takes turns (PostgreSQL; SQLite has one writer): two leaders
    # opening the same set at the same moment cannot both see "none open" and open two.
    db.session.execute(select(School.id).where(School.id == school.id).with_for_update())


def invitees(school: School, roles: Iterable[Role], today: date) -> list[User]:
    """Everyone active who holds one of the roles at the school today, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.school_id == school.id,
                Membership.role.in_(list(roles)),
                Membership.is_current(today),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.name, User.id)
        )
    )


def open_round(
    *,
    school: School,
    lead: User,
    lead_roles: frozenset[Role],
    question_set: KeyQuestionSet,
    closes_on: date,
    invited_roles: list[Role],
    request_key: str,
    lead_offices: frozenset[Office] = frozenset(),
    today: date | None = None,
    now: datetime | None = None,
) -> SelfAssessmentRound:
    """Open a round on the set and invite everyone holding the chosen roles.

    The lead's roles and offices at the school (the chair of governors) must open the set. Sending
    the same form again (the same `request_key`) returns the round it opened. One round per set is
    open at a school at a time.
    """
    today = today or date.today()
    if not may_open_round(lead_roles, question_set.id, lead_offices):
        raise NotAllowedToOpen(f"Your role does not open rounds on {question_set.title}")
    _lock_school(school)
    existing = db.session.scalars(
        select(SelfAssessmentRound).where(
            SelfAssessmentRound.school_id == school.id, SelfAssessmentRound.request_key == request_key
        )
    ).first()
    if existing is not None:
        return existing
    if closes_on < today:
        raise ClosingDateInPast("Closing date must be today or in the future")
    earlier = list(
        db.session.scalars(
            select(SelfAssessmentRound)
            .where(SelfAssessmentRound.school_id == school.id, SelfAssessmentRound.set_id == question_set.id)
            .order_by(SelfAssessmentRound.opened_at.desc(), SelfAssessmentRound.id.desc())
        )
    )
    still_open = next((round_ for round_ in earlier if round_.is_open(today)), None)
    if still_open is not None:
        raise RoundAlreadyOpen(still_open)
    people = invitees(school, invited_roles, today)
    if not people:
        labels = " or ".join(role.label.lower() for role in invited_roles)
        raise NoOneToInvite(f"No one at {school.name} is a {labels} today: choose other roles")
    round_ = SelfAssessmentRound(
        school_id=school.id,
        set_id=question_set.id,
        set_title=question_set.title,
        questions=questions_as_asked(question_set),
        lead_id=lead.id,
        invited_roles=[role.value for role in invited_roles],
        opened_at=now or utcnow(),
        closes_on=closes_on,
        request_key=request_key,
        previous_round_id=earlier[0].id if earlier else None,
    )
    db.session.add(round_)
    db.session.flush()
    db.session.add_all(SelfAssessmentResponse(round_id=round_.id, user_id=person.id) for person in people)
    db.session.flush()
    return round_


def rounds_at(school: School) -> list[SelfAssessmentRound]:
    """Every round at the school, newest first, with its lead."""
    return list(
        db.session.scalars(
            select(SelfAssessmentRound)
            .where(SelfAssessmentRound.school_id == school.id)
            .options(joinedload(SelfAssessmentRound.lead))
            .order_by(SelfAssessmentRound.opened_at.desc(), SelfAssessmentRound.id.desc())
        )
    )


def responses_of(user: User, round_ids: list[int]) -> dict[int, SelfAssessmentResponse]:
    """The person's responses (their invitations) to the given rounds, by round."""
    if not round_ids:
        return {}
    responses = db.session.scalars(
        select(SelfAssessmentResponse).where(
            SelfAssessmentResponse.user_id == user.id, SelfAssessmentResponse.round_id.in_(round_ids)
        )
    )
    return {response.round_id: response for response in responses}


def round_or_404(school: School, round_id: int) -> SelfAssessmentRound:
    """The school's round, with its lead and the round before it; another school's is 'not found'."""
    round_ = db.session.scalars(
        select(SelfAssessmentRound)
        .where(SelfAssessmentRound.id == round_id, SelfAssessmentRound.school_id == school.id)
        .options(joinedload(SelfAssessmentRound.lead), joinedload(SelfAssessmentRound.previous_round))
    ).first()
    if round_ is None:
        abort(404)
    return round_


@dataclass(frozen=True)
class ResponseCounts:
    invited: int
    submitted: int


@dataclass(frozen=True)
class RoundAccess:
    """What one person may see of one round."""

    round: SelfAssessmentRound
    is_lead: bool
    # Where their own answers are up to, if they were asked to answer.
    own_status: ResponseStatus | None
    # The agreed position, actions and board report: the lead and the school's self-assessment readers.
    sees_position: bool
    counts: ResponseCounts


def round_access_or_404(school: School, round_id: int, user: User, *, reads_positions: bool) -> RoundAccess:
    """The round as this person may see it. Someone who is neither its lead, nor invited, nor a reader
    of the school's self-assessment is told it is not found."""
    round_ = round_or_404(school, round_id)
    statuses = db.session.execute(
        select(SelfAssessmentResponse.user_id, SelfAssessmentResponse.status).where(
            SelfAssessmentResponse.round_id == round_.id
        )
    ).all()
    own = next((row for row in statuses if row.user_id == user.id), None)
    is_lead = round_.lead_id == user.id
    if not (is_lead or own is not None or reads_positions):
        abort(404)
    counts = ResponseCounts(len(statuses), sum(row.status is ResponseStatus.SUBMITTED for row in statuses))
    own_status = own.status if own is not None else None
    return RoundAccess(round_, is_lead, own_status, is_lead or reads_positions, counts)


def lead_round_or_404(
    school: School,
    round_id: int,
    user: User,
    *,
    lead_roles: frozenset[Role],
    lead_offices: frozenset[Office] = frozenset(),
) -> SelfAssessmentRound:
    """The round, for its lead only. The lead's view holds each person's answers, so to anyone else
    it is not found, like another person's records. A lead whose roles and offices no longer open
    the round's set (a chair of governors stood down) is forbidden it."""
    round_ = round_or_404(school, round_id)
    if round_.lead_id != user.id:
        abort(404)
    if not may_open_round(lead_roles, round_.set_id, lead_offices):
        abort(403)
    return round_


# ---- answering ----------------------------------------------------------------------------------


def response_or_404(school: School, round_id: int, user: User) -> tuple[SelfAssessmentRound, SelfAssessmentResponse]:
    """The round and the person's own response to it, with their answers; not invited is 'not found'."""
    round_ = round_or_404(school, round_id)
    response = db.session.scalars(
        select(SelfAssessmentResponse)
        .where(SelfAssessmentResponse.round_id == round_.id, SelfAssessmentResponse.user_id == user.id)
        .options(selectinload(SelfAssessmentResponse.answers))
    ).first()
    if response is None:
        abort(404)
    return round_, response


def save_response(
    *,
    round_: SelfAssessmentRound,
    response: SelfAssessmentResponse,
    expected_version: int,
    answers: dict[str, AnswerInput],
    submit: bool,
    today: date | None = None,
    now: datetime | None = None,
) -> SelfAssessmentResponse:
    """Save the person's answers as a draft, or submit them.

    Refused when the round has closed, when it was already submitted, when a rating is missing on
    submit, and (`StaleSave`) when the response changed since the page showing `expected_version`.
    """
    today = today or date.today()
    now = now or utcnow()
    if response.status is ResponseStatus.SUBMITTED:
        raise AlreadySubmitted("You have already submitted your answers to this round")
    if not round_.is_open(today):
        raise RoundClosed(round_)
    if submit:
        missing = [qid for qid in round_.question_ids if answers.get(qid, AnswerInput(None)).rating is None]
        if missing:
            raise RatingsMissing(missing)
    # Claim the next version: one statement, so that of two saves from the same version only one wins.
    claimed = db.session.execute(
        update(SelfAssessmentResponse)
        .where(
            SelfAssessmentResponse.id == response.id,
            SelfAssessmentResponse.version == expected_version,
            SelfAssessmentResponse.status != ResponseStatus.SUBMITTED,
        )
        .values(
            version=expected_version + 1,
            status=ResponseStatus.SUBMITTED if submit else ResponseStatus.DRAFT,
            updated_at=now,
            submitted_at=now if submit else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise StaleSave("Your answers were changed somewhere else since you opened this page")
    for question_id in round_.question_ids:
        given = answers.get(question_id, AnswerInput(None))
        answer = response.answer_to(question_id)
        if answer is None:
            answer = SelfAssessmentAnswer(response_id=response.id, question_id=question_id)
            db.session.add(answer)
            response.answers.append(answer)
        answer.rating = given.rating
        answer.evidence = given.evidence
        answer.next_step = given.next_step
    db.session.flush()
    db.session.refresh(response)
    if submit:
        record_submission(round_, response)
    return response


def record_submission(round_: SelfAssessmentRound, response: SelfAssessmentResponse):
    """Append `self_assessment_submitted` to the person's ledger, once per round whatever the retries."""
    answered = sum(answer.rating is not None for answer in response.answers)
    return ledger.append_entry(
        user_id=response.user_id,
        school_id=round_.school_id,
        kind=EntryKind.SELF_ASSESSMENT_SUBMITTED,
        subject_id=round_.set_id,
        payload={
            "minutes": answered * MINUTES_PER_QUESTION,
            "title": f"Self-assessment: {round_.set_title}",
            "category": "reflective_practice",
            "round_id": round_.id,
            "questions_answered": answered,
        },
        occurred_at=response.submitted_at,
        recorded_by_id=response.user_id,
        dedupe_key=f"self_assessment_submitted:{round_.id}",
    )


# ---- the lead's view and the agreed position ----------------------------------------------------


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


# ---- the trend ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendRow:
    question_id: str
    text: str
    # One per round of the trend, oldest first; None where the question was not rated.
    ratings: list[RatingLevel | None]


@dataclass(frozen=True)
class SetTrend:
    set_id: str
    title: str
    rounds: list[SelfAssessmentRound]
    rows: list[TrendRow]


def trend_at(school: School) -> list[SetTrend]:
    """Every set's agreed positions over time: each round with an agreed position, oldest first."""
    rounds = list(
        db.session.scalars(
            select(SelfAssessmentRound)
            .where(SelfAssessmentRound.school_id == school.id, SelfAssessmentRound.position_agreed_at.is_not(None))
            .options(selectinload(SelfAssessmentRound.positions))
            .order_by(SelfAssessmentRound.set_title, SelfAssessmentRound.opened_at, SelfAssessmentRound.id)
        )
    )
    by_set: dict[str, list[SelfAssessmentRound]] = {}
    for round_ in rounds:
        by_set.setdefault(round_.set_id, []).append(round_)
    trends = []
    for set_id, set_rounds in by_set.items():
        # Questions in the order of the latest round, then any that only earlier rounds asked.
        texts: dict[str, str] = {}
        for round_ in reversed(set_rounds):
            for question in round_.questions:
                texts.setdefault(question["id"], question["text"])
        ratings = [{position.question_id: position.rating for position in r.positions} for r in set_rounds]
        rows = [TrendRow(qid, text, [rated.get(qid) for rated in ratings]) for qid, text in texts.items()]
        trends.append(SetTrend(set_id, set_rounds[-1].set_title, set_rounds, rows))
    return trends


# ---- across an organisation ---------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolPositions:
    school: School
    # The latest round with an agreed position on each set, with its positions.
    rounds: list[SelfAssessmentRound]


def organisation_positions(organisation: Organisation) -> list[SchoolPositions]:
    """For an officer: each school's latest agreed position on each set. Never anyone's own answers."""
    schools = list(
        db.session.scalars(select(School).where(School.organisation_id == organisation.id).order_by(School.name))
    )
    rounds = db.session.scalars(
        select(SelfAssessmentRound)
        .where(
            SelfAssessmentRound.school_id.in_([school.id for school in schools]),
            SelfAssessmentRound.position_agreed_at.is_not(None),
        )
        .options(selectinload(SelfAssessmentRound.positions))
        .order_by(SelfAssessmentRound.opened_at.desc(), SelfAssessmentRound.id.desc())
    )
    latest: dict[int, dict[str, SelfAssessmentRound]] = {school.id: {} for school in schools}
    for round_ in rounds:
        latest[round_.school_id].setdefault(round_.set_id, round_)
    return [
        SchoolPositions(school, sorted(latest[school.id].values(), key=lambda r: r.set_title)) for school in schools
    ]


# ---- private reflection -------------------------------------------------------------------------


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
