"""The agreed positions over time: a school's trend on each set, and, for an officer, every school's
latest agreed positions (never anyone's own answers)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Organisation, Role, School
from app.self_assessment.models import RatingLevel, SelfAssessmentRound

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


@dataclass(frozen=True)
class SchoolPositions:
    school: School
    # The latest round with an agreed position on each set, with its positions.
    rounds: list[SelfAssessmentRound]


def organisation_positions(organisation: Organisation, schools: list[School] | None = None) -> list[SchoolPositions]:
    """For an officer: each school's latest agreed position on each set. Never anyone's own answers.
    `schools`, the organisation's schools when the caller has them already, saves reading them again."""
    if schools is None:
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
