"""How many attempts a person has (and extra ones a leader gives, never to themselves), a person's
record of a quiz, and for leaders the school's results, never naming who missed what."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.content.model import Catalogue, Module, Question
from app.extensions import db
from app.models import User
from app.models.quizzes import AttemptStatus, ExtraQuizAttempts, QuizAnswer, QuizAttempt

# --- Attempts allowed ----------------------------------------------------------------------------


def attempts_allowed(user_id: int, module_id: str) -> int:
    granted = db.session.scalar(
        select(func.coalesce(func.sum(ExtraQuizAttempts.extra), 0)).where(
            ExtraQuizAttempts.user_id == user_id, ExtraQuizAttempts.module_id == module_id
        )
    )
    return current_app.config["QUIZ_ATTEMPTS_ALLOWED"] + int(granted or 0)


def attempts_used(user_id: int, module_id: str) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(QuizAttempt)
            .where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.module_id == module_id,
                QuizAttempt.status == AttemptStatus.SUBMITTED,
            )
        )
        or 0
    )


class SelfGrantRefused(PermissionError):
    """A leader tried to give themselves extra attempts."""


def grant_extra_attempts(
    *, once_key: str, school_id: int, user_id: int, module_id: str, extra: int, granted_by_id: int, reason: str | None
) -> ExtraQuizAttempts:
    """Give a person more attempts at a quiz. The same form submitted twice grants once.

    Nobody gives themselves more attempts (`SelfGrantRefused`).
    """
    if user_id == granted_by_id:
        raise SelfGrantRefused("You cannot give yourself extra attempts. Ask another leader at your school")
    existing = db.session.scalars(select(ExtraQuizAttempts).where(ExtraQuizAttempts.once_key == once_key)).first()
    if existing is not None:
        return existing
    grant = ExtraQuizAttempts(
        once_key=once_key,
        school_id=school_id,
        user_id=user_id,
        module_id=module_id,
        extra=extra,
        granted_by_id=granted_by_id,
        reason=reason,
    )
    try:
        with db.session.begin_nested():
            db.session.add(grant)
    except IntegrityError:
        return db.session.scalars(select(ExtraQuizAttempts).where(ExtraQuizAttempts.once_key == once_key)).one()
    return grant


def grants_in_school(school_id: int) -> list[tuple[ExtraQuizAttempts, User]]:
    """Extra attempts given at the school, newest first, with the person each was for."""
    return list(
        db.session.execute(
            select(ExtraQuizAttempts, User)
            .join(User, User.id == ExtraQuizAttempts.user_id)
            .where(ExtraQuizAttempts.school_id == school_id)
            .order_by(ExtraQuizAttempts.granted_at.desc(), ExtraQuizAttempts.id.desc())
        )
    )


# --- The person's record of a quiz -----------------------------------------------------------------


@dataclass(frozen=True)
class QuizRecord:
    attempts: list[QuizAttempt]
    allowed: int
    used: int
    in_progress: QuizAttempt | None

    @property
    def best(self) -> QuizAttempt | None:
        submitted = [a for a in self.attempts if a.status is AttemptStatus.SUBMITTED]
        return max(submitted, key=lambda a: (a.score or 0, a.submitted_at), default=None)

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def remaining(self) -> int:
        return max(self.allowed - self.used, 0)


def record_for(user_id: int, module_id: str) -> QuizRecord:
    attempts = list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.module_id == module_id)
            .order_by(QuizAttempt.started_at, QuizAttempt.id)
        )
    )
    used = sum(a.status is AttemptStatus.SUBMITTED for a in attempts)
    in_progress = next((a for a in attempts if a.status is AttemptStatus.IN_PROGRESS), None)
    return QuizRecord(attempts, attempts_allowed(user_id, module_id), used, in_progress)


# --- For leaders: across the school, never naming anyone -----------------------------------------


@dataclass(frozen=True)
class QuizStats:
    module: Module
    people_attempted: int
    people_passed: int
    attempts: int
    most_missed: list[tuple[Question, int, int]]  # (question, times missed, times asked)


def school_quiz_stats(catalogue: Catalogue, school_id: int, module_id: str | None = None) -> list[QuizStats]:
    """Per quiz: how many people attempted and passed, and the questions most often missed."""
    attempts_query = select(QuizAttempt).where(
        QuizAttempt.school_id == school_id, QuizAttempt.status == AttemptStatus.SUBMITTED
    )
    answers_query = (
        select(QuizAttempt.module_id, QuizAnswer.question_id, QuizAnswer.correct)
        .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.school_id == school_id, QuizAttempt.status == AttemptStatus.SUBMITTED)
    )
    if module_id is not None:
        attempts_query = attempts_query.where(QuizAttempt.module_id == module_id)
        answers_query = answers_query.where(QuizAttempt.module_id == module_id)
    attempts = list(db.session.scalars(attempts_query))
    asked: Counter = Counter()
    missed: Counter = Counter()
    for row in db.session.execute(answers_query):
        asked[(row.module_id, row.question_id)] += 1
        missed[(row.module_id, row.question_id)] += row.correct is False
    stats = []
    for quiz_module_id in sorted({a.module_id for a in attempts}):
        module = catalogue.modules.get(quiz_module_id)
        if module is None:
            continue
        mine = [a for a in attempts if a.module_id == quiz_module_id]
        bank = {q.id: q for q in catalogue.quizzes[quiz_module_id].questions}
        worst = sorted(
            (
                (bank[qid], missed[(mid, qid)], asked[(mid, qid)])
                for (mid, qid) in asked
                if mid == quiz_module_id and qid in bank
            ),
            key=lambda row: (-row[1] / row[2], -row[1], row[0].id),
        )
        stats.append(
            QuizStats(
                module=module,
                people_attempted=len({a.user_id for a in mine}),
                people_passed=len({a.user_id for a in mine if a.passed}),
                attempts=len(mine),
                most_missed=[row for row in worst if row[1] > 0][:5],
            )
        )
    return stats
