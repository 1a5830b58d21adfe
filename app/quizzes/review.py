"""The review of a submitted attempt: after a pass, everything; after a failure, which answers were
wrong and why, never the keyed answer to a question that can be drawn again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.content.model import Catalogue, Module, Question
from app.content.question_types import QUESTION_TYPES
from app.models.quizzes import QuizAttempt
from app.quizzes.attempts import answers_of, questions_of

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
