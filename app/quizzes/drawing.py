"""Drawing an attempt's questions from a quiz's bank: those the person has not seen first, then those
seen longest ago, so that a retake after a failure shares at most half its questions with it."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select

from app.content.model import Question, Quiz, retake_overlap_limit
from app.extensions import db
from app.models.quizzes import AttemptStatus, QuizAttempt


@dataclass(frozen=True)
class PastAttempt:
    """What a person was asked before, oldest first: the draw avoids it."""

    question_ids: tuple[str, ...]
    # Submitted and not passed: the review showed which answers were wrong.
    failed: bool
    submitted: bool = True


def draw_questions(quiz: Quiz, history: list[PastAttempt], rng: random.Random) -> list[Question]:
    """Draw the quiz's number of questions for a new attempt.

    Questions the person has never been asked come first, then those asked least recently (ties in
    random order). After a failed attempt, at most half the new attempt's questions come from it, so
    that its review, which says which answers were wrong and why, is no answer key for the retake.
    The bound holds whenever the bank has `smallest_bank_for(draw)` questions, which the content
    loader requires.
    """
    last_asked: dict[str, int] = {}
    for number, past in enumerate(history):
        for question_id in past.question_ids:
            last_asked[question_id] = number
    unseen = [q for q in quiz.questions if q.id not in last_asked]
    seen = [q for q in quiz.questions if q.id in last_asked]
    rng.shuffle(unseen)
    rng.shuffle(seen)
    seen.sort(key=lambda q: last_asked[q.id])  # stable: equally recent questions stay shuffled
    submitted = [past for past in history if past.submitted]
    repeats_of = set(submitted[-1].question_ids) if submitted and submitted[-1].failed else set()
    limit = retake_overlap_limit(quiz.draw)
    drawn: list[Question] = []
    held_back: list[Question] = []
    repeats = 0
    for question in unseen + seen:
        if len(drawn) == quiz.draw:
            break
        if question.id in repeats_of:
            if repeats == limit:
                held_back.append(question)
                continue
            repeats += 1
        drawn.append(question)
    # Only a bank smaller than the loader allows gets here: a full attempt matters more than the bound.
    return drawn + held_back[: quiz.draw - len(drawn)]


def history_of(user_id: int, module_id: str) -> list[PastAttempt]:
    """The person's attempts at the quiz, oldest first, as the draw needs them."""
    rows = db.session.execute(
        select(QuizAttempt.question_ids, QuizAttempt.status, QuizAttempt.passed)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.module_id == module_id)
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    return [
        PastAttempt(
            question_ids=tuple(row.question_ids),
            failed=row.status is AttemptStatus.SUBMITTED and not row.passed,
            submitted=row.status is AttemptStatus.SUBMITTED,
        )
        for row in rows
    ]
