"""Quiz attempts: drawing questions, saving answers as they are given, submitting once, marking.

The server decides everything: the questions drawn and their order are stored with the attempt,
answers are checked against the options shown, and a submitted attempt can never change. A double
submit, a second tab or a replayed request records one result and one ledger entry.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.content.model import Catalogue, Module, Question, Quiz, retake_overlap_limit
from app.content.question_types import QUESTION_TYPES
from app.extensions import db
from app.models import AttemptStatus, ExtraQuizAttempts, QuizAnswer, QuizAttempt, User
from app.models.base import utcnow
from app.services import learning, ledger
from app.services.ledger import EntryKind


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


def grant_extra_attempts(
    *, once_key: str, school_id: int, user_id: int, module_id: str, extra: int, granted_by_id: int, reason: str | None
) -> ExtraQuizAttempts:
    """Give a person more attempts at a quiz. The same form submitted twice grants once."""
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


# --- Starting and resuming -------------------------------------------------------------------------


def open_attempt(user_id: int, module_id: str) -> QuizAttempt | None:
    return db.session.scalars(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_id == module_id,
            QuizAttempt.status == AttemptStatus.IN_PROGRESS,
        )
    ).first()


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
    ledger.append_entry(
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
        completed = learning.complete_if_ready(
            catalogue=catalogue, user_id=user_id, school_id=attempt.school_id, module=module
        )
    db.session.flush()
    return SubmitResult(attempt, True, completed)


def abandon(attempt: QuizAttempt) -> None:
    locked = db.session.scalars(select(QuizAttempt).where(QuizAttempt.id == attempt.id).with_for_update()).one()
    if locked.status is AttemptStatus.IN_PROGRESS:
        locked.status = AttemptStatus.ABANDONED
        db.session.flush()


# --- Reviewing a submitted attempt ----------------------------------------------------------------


@dataclass(frozen=True)
class OptionFeedback:
    text: str
    feedback: str
    keyed: bool


@dataclass(frozen=True)
class ReviewItem:
    number: int
    question: Question
    correct: bool
    given: list[str]
    # The keyed answer in words; None where it is kept back (a failed attempt).
    right: list[str] | None
    # Why the options the person chose were wrong (choice questions).
    chosen_feedback: list[OptionFeedback]
    # Every option with why it is right or wrong: shown only after a pass.
    all_feedback: list[OptionFeedback]
    # The section the question rests on, in words: "document title: section heading".
    source: str
    page_slug: str | None
    page_title: str | None


def attempt_review(catalogue: Catalogue, module: Module, attempt: QuizAttempt) -> list[ReviewItem]:
    """What the review of a submitted attempt shows, question by question.

    After a pass, everything: the keyed answers and why each option is right or wrong. After a
    failure, which answers were wrong and why (the question's explanation, and what was wrong with
    each option chosen), but never the keyed answer: every question in the bank can be drawn again,
    in a retake or a renewal, and the review must not be the answer key for it.
    """
    reveal = bool(attempt.passed)
    answers = answers_of(attempt)
    items = []
    for number, question in enumerate(questions_of(catalogue, attempt), start=1):
        kind = QUESTION_TYPES[question.type]
        answer = answers.get(question.id)
        response = answer.response if answer else None
        chosen = _chosen_options(question, response)
        keyed = _keyed_options(question)
        page = module.page(question.page)
        correct = bool(answer and answer.correct)
        # A right answer's own options are no secret; a wrong one's keyed options are.
        show_keyed = reveal or correct
        items.append(
            ReviewItem(
                number=number,
                question=question,
                correct=correct,
                given=kind.describe(question, response),
                right=kind.describe(question, question.answer) if reveal else None,
                chosen_feedback=[
                    OptionFeedback(option["text"], option["feedback"], option["id"] in keyed)
                    for option in question.options
                    if option["id"] in chosen and option.get("feedback") and (show_keyed or option["id"] not in keyed)
                ],
                all_feedback=[
                    OptionFeedback(option["text"], option["feedback"], option["id"] in keyed)
                    for option in question.options
                    if option.get("feedback")
                ]
                if reveal
                else [],
                source=catalogue.section_label(question.source),
                page_slug=page.slug if page else None,
                page_title=page.title if page else None,
            )
        )
    return items


def _chosen_options(question: Question, response: Any) -> set[str]:
    if question.type == "single_choice":
        return {response} if isinstance(response, str) else set()
    if question.type == "multiple_choice":
        return set(response or [])
    return set()


def _keyed_options(question: Question) -> set[str]:
    if question.type == "single_choice":
        return {question.answer}
    if question.type == "multiple_choice":
        return set(question.answer)
    return set()


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
