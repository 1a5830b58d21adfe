"""Quiz attempts: drawing questions, saving answers as they are given, submitting once, marking.

The server decides everything: the questions drawn and their order are stored with the attempt,
answers are checked against the options shown, and a submitted attempt can never change. A double
submit, a second tab or a replayed request records one result and one ledger entry.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.content.model import Catalogue, Module, Question
from app.content.question_types import QUESTION_TYPES
from app.extensions import db
from app.learning import complete_if_ready
from app.models.base import utcnow
from app.models.quizzes import AttemptStatus, QuizAnswer, QuizAttempt
from app.quizzes.drawing import draw_questions, history_of
from app.quizzes.results import attempts_allowed, attempts_used
from app.records import EntryKind, append_entry


class NoAttemptsLeft(Exception):
    """The person has used every attempt they are allowed at this quiz."""


class AttemptClosed(Exception):
    """The attempt was submitted or abandoned: its answers can no longer change."""


class NotReadyToSubmit(Exception):
    def __init__(self, unanswered: list[int]):
        self.unanswered = unanswered
        super().__init__(f"questions not answered: {unanswered}")


def _rng() -> random.Random:
    return secrets.SystemRandom()


# --- Starting and resuming -------------------------------------------------------------------------


def open_attempt(user_id: int, module_id: str) -> QuizAttempt | None:
    return db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_id == module_id,
            QuizAttempt.status == AttemptStatus.IN_PROGRESS,
        )
    ).first()


def start_or_resume(
    *, catalogue: Catalogue, user_id: int, school_id: int | None, module: Module, rng: random.Random | None = None
) -> tuple[QuizAttempt, bool]:
    """The person's attempt in progress, or a new one. Returns (attempt, resumed).

    An attempt begun on an older version of the quiz is abandoned rather than marked against
    questions that have changed.
    """
    quiz = catalogue.quizzes[module.id]
    existing = open_attempt(user_id, module.id)
    if existing is not None:
        if existing.quiz_version == quiz.version:
            return existing, True
        existing.status = AttemptStatus.ABANDONED
        db.session.flush()
    if attempts_used(user_id, module.id) >= attempts_allowed(user_id, module.id):
        raise NoAttemptsLeft()
    rng = rng or _rng()
    drawn = draw_questions(quiz, history_of(user_id, module.id), rng)
    attempt = QuizAttempt(
        user_id=user_id,
        school_id=school_id,
        module_id=module.id,
        quiz_version=quiz.version,
        question_ids=[q.id for q in drawn],
        option_order={q.id: QUESTION_TYPES[q.type].shown_order(q, rng) for q in drawn},
        total=len(drawn),
        pass_mark=quiz.pass_mark,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # A second click on "start" won the race: carry on with that attempt.
        return open_attempt(user_id, module.id), True
    return attempt, False


def attempt_or_404(user_id: int, module_id: str, attempt_id: int, *, lock: bool = False) -> QuizAttempt:
    """Only the person's own attempts exist for them: anyone else's is 'not found'."""
    query = select(QuizAttempt).where(
        QuizAttempt.id == attempt_id, QuizAttempt.user_id == user_id, QuizAttempt.module_id == module_id
    )
    if lock:
        query = query.with_for_update()
    attempt = db.session.scalars(query).first()
    if attempt is None:
        abort(404)
    return attempt


# --- Answering -------------------------------------------------------------------------------------


def questions_of(catalogue: Catalogue, attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions, from the quiz as it is now (attempts on older versions are abandoned)."""
    bank = {q.id: q for q in catalogue.quizzes[attempt.module_id].questions}
    return [bank[question_id] for question_id in attempt.question_ids if question_id in bank]


def answers_of(attempt: QuizAttempt) -> dict[str, QuizAnswer]:
    return {answer.question_id: answer for answer in attempt.answers}


def save_answer(attempt: QuizAttempt, question: Question, response: Any) -> QuizAnswer:
    """Keep an answer as soon as it is given, so that closing the browser loses nothing."""
    locked = db.session.scalars(select(QuizAttempt).where(QuizAttempt.id == attempt.id).with_for_update()).one()
    if locked.status is not AttemptStatus.IN_PROGRESS:
        raise AttemptClosed()
    answer = db.session.scalars(
        select(QuizAnswer).where(QuizAnswer.attempt_id == attempt.id, QuizAnswer.question_id == question.id)
    ).first()
    if answer is None:
        answer = QuizAnswer(attempt_id=attempt.id, question_id=question.id, response=response)
        db.session.add(answer)
    else:
        answer.response = response
        answer.answered_at = utcnow()
    db.session.flush()
    return answer


def unanswered_numbers(attempt: QuizAttempt) -> list[int]:
    answered = set(answers_of(attempt))
    return [number for number, qid in enumerate(attempt.question_ids, start=1) if qid not in answered]


def resume_number(attempt: QuizAttempt) -> int:
    missing = unanswered_numbers(attempt)
    return missing[0] if missing else len(attempt.question_ids)


# --- Submitting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    attempt: QuizAttempt
    newly_submitted: bool
    module_completed: bool


def submit(*, catalogue: Catalogue, user_id: int, module: Module, attempt_id: int) -> SubmitResult:
    """Mark and close the attempt, once. A repeat returns the result already recorded."""
    attempt = attempt_or_404(user_id, module.id, attempt_id, lock=True)
    if attempt.status is AttemptStatus.SUBMITTED:
        return SubmitResult(attempt, False, False)
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        raise AttemptClosed()
    missing = unanswered_numbers(attempt)
    if missing:
        raise NotReadyToSubmit(missing)
    questions = {q.id: q for q in questions_of(catalogue, attempt)}
    score = 0
    for answer in attempt.answers:
        question = questions[answer.question_id]
        answer.correct = QUESTION_TYPES[question.type].is_correct(question, answer.response)
        score += answer.correct
    attempt.score = score
    attempt.passed = score * 100 >= attempt.pass_mark * attempt.total
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = utcnow()
    append_entry(
        user_id=user_id,
        school_id=attempt.school_id,
        kind=EntryKind.QUIZ_ATTEMPTED,
        subject_id=module.id,
        subject_version=attempt.quiz_version,
        payload={
            "attempt": attempt.id,
            "score": score,
            "total": attempt.total,
            "pass_mark": attempt.pass_mark,
            "passed": attempt.passed,
            "title": module.title,
        },
        recorded_by_id=user_id,
        dedupe_key=f"quiz_attempted:{attempt.id}",
    )
    completed = False
    if attempt.passed:
        completed = complete_if_ready(catalogue=catalogue, user_id=user_id, school_id=attempt.school_id, module=module)
    db.session.flush()
    return SubmitResult(attempt, True, completed)


def abandon(attempt: QuizAttempt) -> None:
    locked = db.session.scalars(select(QuizAttempt).where(QuizAttempt.id == attempt.id).with_for_update()).one()
    if locked.status is AttemptStatus.IN_PROGRESS:
        locked.status = AttemptStatus.ABANDONED
        db.session.flush()
