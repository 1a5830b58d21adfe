"""Forms for self-assessment. The answer, position and reflection forms are built for the questions
in hand, so that each question gets its own rating, evidence and next-step fields."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError

from app.self_assessment.models import ActionStatus, RatingLevel
from app.self_assessment.rounds import INVITABLE_ROLES, MAX_ACTION, MAX_EVIDENCE, MAX_NEXT_STEP, MAX_NOTES, MAX_OWNER
from app.web.form_fields import DayMonthYearField, example_date, strip_whitespace

RATING_CHOICES = [SelectChoice(level.value, level.label) for level in RatingLevel]


def _strip(value):
    return strip_whitespace(value) if value is not None else ""


def _too_long(what: str, limit: int) -> Length:
    return Length(max=limit, message=f"{what} must be {limit:,} characters or fewer")


class OptionalChoice:
    """Radios that may be left unchosen. No choice is not "an invalid choice": the choice check's
    complaint is cleared (a value that is not one of the choices still fails it)."""

    def __call__(self, form, field):
        if field.data:
            return
        field.errors[:] = []
        raise StopValidation()


class RequiredWhenSubmitting(OptionalChoice):
    """A rating may be left out of a draft, but not out of the answers submitted."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if not field.data and form.submit_answers.data:
            field.errors[:] = []
            raise StopValidation(self.message)
        super().__call__(form, field)


class OpenRoundForm(FlaskForm):
    set_id = RadioField(
        "Which key questions?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select which key questions the round is on")],
        invalid_choice_message="Select which key questions the round is on",
    )
    invited_roles = SelectMultipleField(
        "Who should answer?",
        widget=GovCheckboxesInput(),
        description="Everyone who holds one of these roles at the school today is asked. Select all that apply.",
        choices=[SelectChoice(role.value, role.label) for role in INVITABLE_ROLES],
        validators=[InputRequired(message="Select who should answer")],
    )
    closes_on = DayMonthYearField(
        "Closing date",
        # The example is three weeks from today (set in __init__): a closing date is in the future.
        description="Answers can be saved and submitted until the end of this day.",
        validators=[InputRequired(message="Enter the closing date")],
    )
    request_key = HiddenField()
    submit = SubmitField("Open the round", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closes_on.description = (
            f"Answers can be saved and submitted until the end of this day. For example, {example_date(21)}"
        )

    def validate_closes_on(self, field):
        if field.data and field.data < date.today():
            raise ValidationError("Closing date must be today or in the future")
        if field.data and field.data > date.today() + timedelta(days=366):
            raise ValidationError("Closing date must be within the next year")


def response_form(questions: list[dict[str, Any]], data: dict | None = None) -> FlaskForm:
    """The answer form for a round's questions: a rating, evidence and a next step for each."""
    fields: dict[str, Any] = {}
    for number, _question in enumerate(questions, start=1):
        fields[f"rating_{number}"] = RadioField(
            f"Your rating for question {number}",
            widget=GovRadioInput(),
            choices=RATING_CHOICES,
            validators=[RequiredWhenSubmitting(f"Select a rating for question {number}")],
            invalid_choice_message=f"Select a rating for question {number}",
        )
        fields[f"evidence_{number}"] = TextAreaField(
            f"Evidence for question {number}",
            widget=GovTextArea(),
            description="What you have seen or know that supports your rating.",
            filters=[_strip],
            validators=[_too_long(f"Evidence for question {number}", MAX_EVIDENCE)],
        )
        fields[f"next_step_{number}"] = TextAreaField(
            f"Next step you suggest for question {number}",
            widget=GovTextArea(),
            filters=[_strip],
            validators=[_too_long(f"Next step for question {number}", MAX_NEXT_STEP)],
        )
    fields["version"] = HiddenField()
    fields["save_draft"] = SubmitField("Save as draft", widget=GovSubmitInput())
    fields["submit_answers"] = SubmitField("Submit your answers", widget=GovSubmitInput())
    # On a POST the form reads what was sent; `data` fills it for a GET.
    return type("ResponseForm", (FlaskForm,), fields)(data=data)


def position_form(questions: list[dict[str, Any]], action_ids: list[int], data: dict | None = None) -> FlaskForm:
    """The lead's form: the agreed rating and evidence for each question, and each action's status."""
    fields: dict[str, Any] = {}
    for number, _question in enumerate(questions, start=1):
        fields[f"rating_{number}"] = RadioField(
            f"Agreed rating for question {number}",
            widget=GovRadioInput(),
            choices=RATING_CHOICES,
            validators=[InputRequired(message=f"Select the agreed rating for question {number}")],
            invalid_choice_message=f"Select the agreed rating for question {number}",
        )
        fields[f"evidence_{number}"] = TextAreaField(
            f"Agreed evidence for question {number}",
            widget=GovTextArea(),
            filters=[_strip],
            validators=[_too_long(f"Agreed evidence for question {number}", MAX_EVIDENCE)],
        )
    for number, action_id in enumerate(action_ids, start=1):
        # Optional: an action added in another tab after this page was opened keeps its status.
        fields[f"action_{action_id}"] = SelectField(
            f"Status of action {number}",
            widget=GovSelect(),
            choices=[SelectChoice(status.value, status.label) for status in ActionStatus],
            validators=[Optional()],
            invalid_choice_message=f"Select the status of action {number}",
        )
    fields["version"] = HiddenField()
    fields["submit"] = SubmitField("Save the agreed position", widget=GovSubmitInput())
    # On a POST the form reads what was sent; `data` fills it for a GET.
    return type("PositionForm", (FlaskForm,), fields)(data=data)


class ActionForm(FlaskForm):
    question_id = RadioField(
        "Which question is it about?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select which question the action is about")],
        invalid_choice_message="Select which question the action is about",
    )
    description = TextAreaField(
        "What will be done",
        widget=GovTextArea(),
        filters=[_strip],
        validators=[
            InputRequired(message="Enter what will be done"),
            _too_long("What will be done", MAX_ACTION),
        ],
    )
    owner = StringField(
        "Owner",
        widget=GovTextInput(),
        description="The person or group who will make sure it happens, for example the SENCO.",
        filters=[_strip],
        validators=[InputRequired(message="Enter who owns this action"), _too_long("Owner", MAX_OWNER)],
    )
    due_on = DayMonthYearField(
        "Due date",
        description="",  # set in __init__: an example a term from today
        validators=[InputRequired(message="Enter the due date")],
    )
    status = RadioField(
        "Status",
        widget=GovRadioInput(),
        choices=[SelectChoice(status.value, status.label) for status in ActionStatus],
        default=ActionStatus.NOT_STARTED.value,
        validators=[InputRequired(message="Select the action's status")],
        invalid_choice_message="Select the action's status",
    )
    request_key = HiddenField()
    submit = SubmitField("Add the action", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.due_on.description = f"For example, {example_date(90)}"

    def validate_due_on(self, field):
        if field.data and field.data < date.today():
            raise ValidationError("Due date must be today or in the future")
        if field.data and field.data > date.today() + timedelta(days=5 * 366):
            raise ValidationError("Due date must be within the next five years")


def reflection_form(question_count: int, data: dict | None = None) -> FlaskForm:
    """A private reflection on each of a module's key questions: a rating (optional) and notes."""
    fields: dict[str, Any] = {}
    for number in range(1, question_count + 1):
        fields[f"rating_{number}"] = RadioField(
            f"Where you think your school is on question {number}",
            widget=GovRadioInput(),
            choices=RATING_CHOICES,
            validators=[OptionalChoice()],
            invalid_choice_message=f"Select a rating for question {number}",
        )
        fields[f"notes_{number}"] = TextAreaField(
            f"Your notes on question {number}",
            widget=GovTextArea(),
            filters=[_strip],
            validators=[_too_long(f"Your notes on question {number}", MAX_NOTES)],
        )
        fields[f"version_{number}"] = HiddenField()
    fields["submit"] = SubmitField("Save your reflections", widget=GovSubmitInput())
    # On a POST the form reads what was sent; `data` fills it for a GET.
    return type("ReflectionForm", (FlaskForm,), fields)(data=data)


# ---- values posted by the forms ----------------------------------------------------------------


def version_or_400(value: str | None) -> int:
    """The version a page was made from. Only a tampered or truncated form lacks a number."""
    try:
        version = int(value or "")
    except ValueError:
        abort(400)
    if version < 0:
        abort(400)
    return version


def rating_from(value: str | None) -> RatingLevel | None:
    return RatingLevel(value) if value else None
