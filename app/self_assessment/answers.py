"""Answering a round: each person's answers, saved from the version of the page they saw, and
submitting, which records the reflection on their CPD ledger exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Role, School, User
from app.models.base import utcnow
from app.records import EntryKind, append_entry
from app.self_assessment.models import (
    RatingLevel,
    ResponseStatus,
    SelfAssessmentAnswer,
    SelfAssessmentResponse,
    SelfAssessmentRound,
)
from app.self_assessment.rounds import AlreadySubmitted, RatingsMissing, RoundClosed, StaleSave, round_or_404

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
class AnswerInput:
    rating: RatingLevel | None
    evidence: str = ""
    next_step: str = ""


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
    return append_entry(
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
