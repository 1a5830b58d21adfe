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
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.content.model import Catalogue, KeyQuestionSet
from app.extensions import db
from app.models import Membership, Role, School, User
from app.models.base import utcnow
from app.permissions import Office, may_open_round
from app.self_assessment.models import RatingLevel, ResponseStatus, SelfAssessmentResponse, SelfAssessmentRound

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
