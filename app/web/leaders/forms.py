from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.web.form_fields import DayMonthYearField, OnceOnlyField


class AssignTrainingForm(FlaskForm):
    once = OnceOnlyField()
    modules = SelectMultipleField(
        "Modules",
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Select at least one module")],
        validate_choice=False,
    )
    audience = RadioField(
        "Who to assign it to",
        widget=GovRadioInput(),
        choices=[SelectChoice("person", "One person"), SelectChoice("role", "Everyone with a role")],
        validators=[InputRequired(message="Choose who to assign the training to")],
    )
    person = SelectField("Person", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    role = SelectField("Role", widget=GovSelect(), validators=[Optional()], validate_choice=False)
    due_on = DayMonthYearField(
        "Due date", validators=[InputRequired(message="Enter the date it is due, for example 30 6 2027")]
    )
    note = TextAreaField(
        "Note (optional)",
        widget=GovTextArea(),
        description="It goes in the email each person receives.",
        validators=[Optional(), Length(max=1000, message="The note must be 1,000 characters or fewer")],
    )
    submit = SubmitField("Assign training", widget=GovSubmitInput())


class RequirementForm(FlaskForm):
    role = SelectField(
        "Role", widget=GovSelect(), validators=[InputRequired(message="Choose a role")], validate_choice=False
    )
    module = SelectField(
        "Module", widget=GovSelect(), validators=[InputRequired(message="Choose a module")], validate_choice=False
    )
    required = RadioField(
        "Must people in this role complete it?",
        widget=GovRadioInput(),
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        validators=[InputRequired(message="Say whether the module is required")],
    )
    window_days = IntegerField(
        "Days new starters have to complete it (optional)",
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=1, max=730, message="The window must be between 1 and 730 days")],
        render_kw={"inputmode": "numeric"},
    )
    renew_every_months = IntegerField(
        "Renew every this many months (optional)",
        widget=GovTextInput(),
        validators=[Optional(), NumberRange(min=1, max=120, message="Renewal must be between 1 and 120 months")],
        render_kw={"inputmode": "numeric"},
    )
    save = SubmitField("Save requirement", widget=GovSubmitInput())


class RefreshForm(FlaskForm):
    """On the same page as RequirementForm, so its fields have names of their own."""

    changed_module = SelectField(
        "Module that has changed",
        widget=GovSelect(),
        validators=[InputRequired(message="Choose a module")],
        validate_choice=False,
    )
    refresh = SubmitField("Ask everyone to do it again", widget=GovSubmitInput())


class CertificateBundleForm(FlaskForm):
    """Which staff certificates to download as one zip; every choice may be left open."""

    # Only a tampered form sends a value not offered, so the choices are checked as they are.
    module = SelectField("Module", widget=GovSelect())
    role = SelectField("Role", widget=GovSelect())
    # No Optional(): it would pass a date with its day left out as if all three boxes were blank.
    completed_from = DayMonthYearField("Completed on or after")
    completed_to = DayMonthYearField("Completed on or before")
    submit = SubmitField("Download certificates", widget=GovSubmitInput())

    def validate_completed_to(self, field):
        if field.data and self.completed_from.data and field.data < self.completed_from.data:
            raise ValidationError("The end date must be the same as or after the start date")
