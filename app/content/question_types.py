"""Question types: one class per type, registered by name. Adding a type touches this file only
(and its template partial, templates/quiz/types/<name>.html).

Each type owns: checking that a question of its kind is well formed, the order its choices are
shown in, the form fields that collect an answer, reading and validating that answer, marking it,
and saying in words what was answered and what was right.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSelect
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

Problem = tuple[str, str]  # (field, what is wrong)


class AnswerError(ValueError):
    """The submitted answer is not a possible answer to the question (missing, or tampered with)."""


def _options_by_id(question) -> dict[str, str]:
    return {option["id"]: option["text"] for option in question.options}


class QuestionType:
    name: ClassVar[str]
    label: ClassVar[str]
    min_options: ClassVar[int] = 0
    # Whether each option says why it is right or wrong. Where it is not, the question's feedback explains.
    option_feedback: ClassVar[bool] = False
    # The hint shown under the question.
    hint: ClassVar[str] = ""

    @property
    def partial(self) -> str:
        return f"quiz/types/{self.name}.html"

    # --- Presenting -------------------------------------------------------------------------

    def shown_order(self, question, rng: random.Random) -> dict[str, list[str]]:
        """The order of the choices for one attempt: shuffled, so no two attempts look alike."""
        options = [option["id"] for option in question.options]
        rng.shuffle(options)
        return {"options": options}

    def build_form(self, question, order: dict[str, list[str]], formdata=None, saved=None) -> FlaskForm:
        """A form for the answer, filled with the saved answer when the person comes back to it."""
        raise NotImplementedError

    def _choices(self, question, order) -> list[SelectChoice]:
        texts = _options_by_id(question)
        return [SelectChoice(option_id, texts[option_id]) for option_id in order["options"]]

    # --- Reading and marking ---------------------------------------------------------------

    def read_answer(self, form: FlaskForm, question) -> Any:
        """The answer as stored (JSON), or AnswerError if it is not a possible answer."""
        raise NotImplementedError

    def is_correct(self, question, response: Any) -> bool:
        return response == question.answer

    def describe(self, question, response: Any) -> list[str]:
        """An answer in words, a line per part, for the check-answers and review pages."""
        raise NotImplementedError

    def validate(self, question: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        options = question.get("options") or []
        if len(options) < self.min_options:
            problems.append(("options", f"a {self.label} question needs at least {self.min_options} options"))
        ids = [option["id"] for option in options]
        if len(ids) != len(set(ids)):
            problems.append(("options", "option ids must be unique within a question"))
        for number, option in enumerate(options):
            if self.option_feedback and not option.get("feedback"):
                problems.append((f"options.{number}.feedback", "every option needs feedback: why it is right or wrong"))
            elif not self.option_feedback and option.get("feedback"):
                problems.append(
                    (
                        f"options.{number}.feedback",
                        f"a {self.label} question's options carry no feedback; use the question's",
                    )
                )
        for number, item in enumerate(question.get("items") or []):
            if item.get("feedback"):
                problems.append((f"items.{number}.feedback", "items carry no feedback; use the question's"))
        problems.extend(self.validate_answer(question, set(ids)))
        return problems

    def validate_answer(self, question: dict[str, Any], option_ids: set[str]) -> list[Problem]:
        raise NotImplementedError


def _single_form(question, choices, saved, formdata, message):
    class AnswerForm(FlaskForm):
        answer = RadioField(
            question.prompt,
            widget=GovRadioInput(),
            choices=choices,
            validators=[InputRequired(message=message)],
            validate_choice=False,  # read_answer checks, so a tampered value gets our message
        )

    return AnswerForm(formdata=formdata, data={"answer": saved} if saved is not None else None)


class SingleChoice(QuestionType):
    name = "single_choice"
    label = "single choice"
    min_options = 2
    option_feedback = True

    def build_form(self, question, order, formdata=None, saved=None):
        return _single_form(question, self._choices(question, order), saved, formdata, "Select an answer")

    def read_answer(self, form, question):
        value = form.answer.data
        if value not in _options_by_id(question):
            raise AnswerError("Select one of the answers shown")
        return value

    def describe(self, question, response):
        return [_options_by_id(question).get(response, "(no answer)")]

    def validate_answer(self, question, option_ids):
        answer = question.get("answer")
        if not isinstance(answer, str) or answer not in option_ids:
            return [("answer", f"the correct answer {answer!r} is not one of the options {sorted(option_ids)}")]
        return []


class MultipleChoice(QuestionType):
    name = "multiple_choice"
    label = "multiple choice"
    min_options = 3
    option_feedback = True
    hint = "Select all that apply."

    def build_form(self, question, order, formdata=None, saved=None):
        class AnswerForm(FlaskForm):
            answer = SelectMultipleField(
                question.prompt,
                widget=GovCheckboxesInput(),
                choices=self._choices(question, order),
                validators=[InputRequired(message="Select at least one answer")],
                validate_choice=False,
            )

        return AnswerForm(formdata=formdata, data={"answer": saved} if saved is not None else None)

    def read_answer(self, form, question):
        values = form.answer.data or []
        options = _options_by_id(question)
        if not values or any(value not in options for value in values):
            raise AnswerError("Select from the answers shown")
        return sorted(set(values))

    def is_correct(self, question, response):
        return sorted(response or []) == sorted(question.answer)

    def describe(self, question, response):
        options = _options_by_id(question)
        return [options[value] for value in response or [] if value in options] or ["(no answer)"]

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
    CHOICES: ClassVar[dict[str, bool]] = {"true": True, "false": False}

    def shown_order(self, question, rng):
        return {"options": ["true", "false"]}

    def build_form(self, question, order, formdata=None, saved=None):
        choices = [SelectChoice("true", "True"), SelectChoice("false", "False")]
        saved_value = None if saved is None else ("true" if saved else "false")
        return _single_form(question, choices, saved_value, formdata, "Select true or false")

    def read_answer(self, form, question):
        if form.answer.data not in self.CHOICES:
            raise AnswerError("Select true or false")
        return self.CHOICES[form.answer.data]

    def describe(self, question, response):
        return ["(no answer)" if response is None else ("True" if response else "False")]

    def validate_answer(self, question, option_ids):
        problems = []
        if question.get("options"):
            problems.append(("options", "a true or false question has no options"))
        if not isinstance(question.get("answer"), bool):
            problems.append(("answer", "the answer to a true or false question is true or false"))
        return problems


class Ordering(QuestionType):
    """Put steps in order: each step gets a position from a list (works without JavaScript)."""

    name = "ordering"
    label = "ordering"
    min_options = 3
    hint = "Give each step its position: 1 for the first step, and so on. Use each position once."

    def build_form(self, question, order, formdata=None, saved=None):
        texts = _options_by_id(question)
        positions = [SelectChoice("", "Choose a position")] + [
            SelectChoice(str(n), str(n)) for n in range(1, len(order["options"]) + 1)
        ]
        fields = {}
        for option_id in order["options"]:
            fields[f"position_{option_id}"] = SelectField(
                texts[option_id],
                widget=GovSelect(),
                choices=positions,
                validators=[InputRequired(message=f"Choose a position for: {texts[option_id]}")],
                validate_choice=False,
            )
        data = None
        if saved is not None:
            data = {f"position_{option_id}": str(index) for index, option_id in enumerate(saved, start=1)}
        return type("AnswerForm", (FlaskForm,), fields)(formdata=formdata, data=data)

    def answer_fields(self, form, order):
        return [form[f"position_{option_id}"] for option_id in order["options"]]

    def read_answer(self, form, question):
        count = len(question.options)
        placed: dict[int, str] = {}
        for option in question.options:
            value = form[f"position_{option['id']}"].data
            if not (value or "").isdigit() or not 1 <= int(value) <= count:
                raise AnswerError("Choose a position for every step")
            if int(value) in placed:
                raise AnswerError("Use each position once: two steps have the same position")
            placed[int(value)] = option["id"]
        return [placed[position] for position in range(1, count + 1)]

    def describe(self, question, response):
        options = _options_by_id(question)
        return [f"{n}. {options.get(option_id, '?')}" for n, option_id in enumerate(response or [], start=1)]

    def validate_answer(self, question, option_ids):
        answer = question.get("answer")
        if not isinstance(answer, list) or sorted(answer) != sorted(option_ids):
            return [("answer", "the answer must list every option id exactly once, in the right order")]
        return []


class Matching(QuestionType):
    """Match each item to an answer from a list (works without JavaScript)."""

    name = "matching"
    label = "matching"
    min_options = 3
    hint = "Choose a match for each one. An answer can be used more than once."

    def shown_order(self, question, rng):
        order = super().shown_order(question, rng)
        items = [item["id"] for item in question.items]
        rng.shuffle(items)
        return {**order, "items": items}

    def build_form(self, question, order, formdata=None, saved=None):
        items = {item["id"]: item["text"] for item in question.items}
        choices = [SelectChoice("", "Choose a match"), *self._choices(question, order)]
        fields = {}
        for item_id in order["items"]:
            fields[f"match_{item_id}"] = SelectField(
                items[item_id],
                widget=GovSelect(),
                choices=choices,
                validators=[InputRequired(message=f"Choose a match for: {items[item_id]}")],
                validate_choice=False,
            )
        data = None if saved is None else {f"match_{item_id}": value for item_id, value in saved.items()}
        return type("AnswerForm", (FlaskForm,), fields)(formdata=formdata, data=data)

    def answer_fields(self, form, order):
        return [form[f"match_{item_id}"] for item_id in order["items"]]

    def read_answer(self, form, question):
        options = _options_by_id(question)
        response = {}
        for item in question.items:
            value = form[f"match_{item['id']}"].data
            if value not in options:
                raise AnswerError("Choose a match from the list for every item")
            response[item["id"]] = value
        return response

    def describe(self, question, response):
        options = _options_by_id(question)
        return [
            f"{item['text']}: {options.get((response or {}).get(item['id']), '(no answer)')}" for item in question.items
        ]

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
