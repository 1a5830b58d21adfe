"""Question types: one class per type, registered by name. Adding a type touches this file only.

Each type checks that a question of its kind is well formed. (Presenting, marking and explaining
answers belong to the same classes as the quiz engine grows.)
"""

from __future__ import annotations

from typing import Any, ClassVar

Problem = tuple[str, str]  # (field, what is wrong)


class QuestionType:
    name: ClassVar[str]
    label: ClassVar[str]
    min_options: ClassVar[int] = 0

    def validate(self, question: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        options = question.get("options") or []
        if len(options) < self.min_options:
            problems.append(("options", f"a {self.label} question needs at least {self.min_options} options"))
        ids = [option["id"] for option in options]
        if len(ids) != len(set(ids)):
            problems.append(("options", "option ids must be unique within a question"))
        problems.extend(self.validate_answer(question, set(ids)))
        return problems

    def validate_answer(self, question: dict[str, Any], option_ids: set[str]) -> list[Problem]:
        raise NotImplementedError


class SingleChoice(QuestionType):
    name = "single_choice"
    label = "single choice"
    min_options = 2

    def validate_answer(self, question, option_ids):
        answer = question.get("answer")
        if not isinstance(answer, str) or answer not in option_ids:
            return [("answer", f"the correct answer {answer!r} is not one of the options {sorted(option_ids)}")]
        return []


class MultipleChoice(QuestionType):
    name = "multiple_choice"
    label = "multiple choice"
    min_options = 3

    def validate_answer(self, question, option_ids):
        answer = question.get("answer")
        if not isinstance(answer, list) or not answer:
            return [("answer", "give the correct answers as a list of option ids")]
        unknown = [item for item in answer if item not in option_ids]
        if unknown:
            return [("answer", f"the correct answers {unknown} are not among the options {sorted(option_ids)}")]
        if len(set(answer)) != len(answer):
            return [("answer", "a correct answer is listed twice")]
        return []


class TrueFalse(QuestionType):
    name = "true_false"
    label = "true or false"

    def validate_answer(self, question, option_ids):
        problems = []
        if question.get("options"):
            problems.append(("options", "a true or false question has no options"))
        if not isinstance(question.get("answer"), bool):
            problems.append(("answer", "the answer to a true or false question is true or false"))
        return problems


class Ordering(QuestionType):
    name = "ordering"
    label = "ordering"
    min_options = 3

    def validate_answer(self, question, option_ids):
        answer = question.get("answer")
        if not isinstance(answer, list) or sorted(answer) != sorted(option_ids):
            return [("answer", "the answer must list every option id exactly once, in the right order")]
        return []


class Matching(QuestionType):
    name = "matching"
    label = "matching"
    min_options = 3

    def validate_answer(self, question, option_ids):
        items = question.get("items") or []
        item_ids = [item["id"] for item in items]
        answer = question.get("answer")
        problems = []
        if len(items) < 2:
            problems.append(("items", "a matching question needs at least 2 items to match"))
        if len(item_ids) != len(set(item_ids)):
            problems.append(("items", "item ids must be unique within a question"))
        if not isinstance(answer, dict) or set(answer) != set(item_ids):
            problems.append(("answer", "the answer must map every item id to an option id"))
        elif any(value not in option_ids for value in answer.values()):
            wrong = sorted(value for value in answer.values() if value not in option_ids)
            problems.append(("answer", f"the answers {wrong} are not among the options {sorted(option_ids)}"))
        return problems


QUESTION_TYPES: dict[str, QuestionType] = {
    kind.name: kind() for kind in (SingleChoice, MultipleChoice, TrueFalse, Ordering, Matching)
}
