from datetime import date

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError

from app.form_fields import DayMonthYearField, strip_whitespace
from app.models import SCHOOL_ROLES


class InvitePersonForm(FlaskForm):
    name = StringField(
        "Full name",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the person's full name"), Length(max=200)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    email = EmailField(
        "Email address",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        description="We will email them a link to choose a password. It works for 7 days.",
        validators=[
            InputRequired(message="Enter the person's email address"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    role = RadioField(
        "Role at this school",
        widget=GovRadioInput(),
        choices=[SelectChoice(role.value, role.label) for role in SCHOOL_ROLES],
        validators=[InputRequired(message="Select the person's role")],
    )
    started_on = DayMonthYearField(
        "Start date in this role",
        description="For example, 1 9 2026",
        validators=[InputRequired(message="Enter the date they started, for example 1 9 2026")],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())

    def validate_started_on(self, field):
        if field.data and field.data.year < 1950:
            raise ValidationError("Start date must be a real date after 1950")
        if field.data and (field.data - date.today()).days > 366:
            raise ValidationError("Start date must be within the next year")
