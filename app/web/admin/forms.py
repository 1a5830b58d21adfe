from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.models import SCHOOL_ROLES
from app.web.form_fields import DayMonthYearField, strip_whitespace


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


def _date_within_reason(field) -> None:
    if field.data and field.data.year < 1950:
        raise ValidationError("Enter a real date after 1950")
    if field.data and (field.data - date.today()).days > 366:
        raise ValidationError("The date must be within the next year")


class ChangeRolesForm(FlaskForm):
    roles = SelectMultipleField(
        "Roles at this school",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice(role.value, role.label) for role in SCHOOL_ROLES],
        validators=[InputRequired(message="Select at least one role")],
    )
    started_on = DayMonthYearField(
        "Start date for any new role",
        description="For example, 1 9 2026. Roles they already hold keep their start dates.",
        validators=[InputRequired(message="Enter the date any new role starts, for example 1 9 2026")],
    )
    submit = SubmitField("Save roles", widget=GovSubmitInput())

    def validate_started_on(self, field):
        _date_within_reason(field)


class StartDateForm(FlaskForm):
    started_on = DayMonthYearField(
        "Start date at this school",
        description="For example, 1 9 2026",
        validators=[InputRequired(message="Enter the date they started, for example 1 9 2026")],
    )
    submit = SubmitField("Save start date", widget=GovSubmitInput())

    def validate_started_on(self, field):
        _date_within_reason(field)


# Yes, no, or not known: how the forms hold a fact that may not have been recorded yet.
KNOWN_CHOICES = {"yes": True, "no": False, "unknown": None}


def known_value(answer: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[answer]


class QualifiedTeacherForm(FlaskForm):
    """Qualified teacher status and induction, and for a SENCO their earlier time in the role: what the
    rules on who may be SENCO, and who must gain the SENCO qualification, need to know."""

    qualified_teacher = RadioField(
        "Do they have qualified teacher status (QTS)?",
        widget=GovRadioInput(),
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        validators=[InputRequired(message="Select yes if they have qualified teacher status")],
    )
    induction_completed = RadioField(
        "Have they completed statutory induction, or were they not required to?",
        widget=GovRadioInput(),
        choices=[
            SelectChoice("yes", "Yes: completed, or not required of them"),
            SelectChoice("no", "No: not yet completed"),
            SelectChoice("unknown", "Not known"),
        ],
        validators=[InputRequired(message="Select whether they have completed statutory induction, or not known")],
    )
    senco_over_12_months_before = RadioField(
        "Before becoming SENCO here, had they been a SENCO for more than 12 months in total?",
        description="Count time as a SENCO at this school or any other.",
        widget=GovRadioInput(),
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No"), SelectChoice("unknown", "Not known")],
        validators=[
            InputRequired(message="Select whether they had been a SENCO for more than 12 months, or not known")
        ],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class LeaverForm(FlaskForm):
    left_on = DayMonthYearField(
        "When did they leave?",
        description="The first day they no longer worked here, for example 21 7 2026. Their access ends then.",
        validators=[InputRequired(message="Enter the date they left, for example 21 7 2026")],
    )
    submit = SubmitField("Mark as a leaver", widget=GovSubmitInput())

    def validate_left_on(self, field):
        if field.data and field.data.year < 1950:
            raise ValidationError("Enter a real date after 1950")
        if field.data and field.data > date.today():
            raise ValidationError("The date they left must be today or in the past")


class RejoinForm(FlaskForm):
    role = RadioField(
        "Role at this school",
        widget=GovRadioInput(),
        choices=[SelectChoice(role.value, role.label) for role in SCHOOL_ROLES],
        validators=[InputRequired(message="Select the person's role")],
    )
    started_on = DayMonthYearField(
        "Start date in this role",
        description="For example, 1 9 2026",
        validators=[InputRequired(message="Enter the date they start again, for example 1 9 2026")],
    )
    submit = SubmitField("Invite them back", widget=GovSubmitInput())

    def validate_started_on(self, field):
        _date_within_reason(field)


class GovernanceForm(FlaskForm):
    term_started_on = DayMonthYearField(
        "Start of their current term of office", description="For example, 1 9 2024", validators=[Optional()]
    )
    term_ends_on = DayMonthYearField(
        "End of their current term of office",
        description="For example, 31 8 2028. Leaders see a warning 60 days before it.",
        validators=[Optional()],
    )
    offices = SelectMultipleField(
        "Offices",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice("chair", "Chair of governors"), SelectChoice("send_governor", "SEND governor")],
        validators=[Optional()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_term_ends_on(self, field):
        if field.data and field.data.year < 1950:
            raise ValidationError("Enter a real date after 1950")
        start = self.term_started_on.data
        if field.data and start and field.data < start:
            raise ValidationError("The end of the term must be after its start")


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I understand that this cannot be undone",
        widget=GovCheckboxInput(),
        validators=[InputRequired(message="Confirm that you understand this cannot be undone")],
    )
    submit = SubmitField("Erase their details", widget=GovSubmitInput())


class StaffFileForm(FlaskForm):
    staff_file = FileField(
        "Upload a CSV file",
        widget=GovFileInput(),
        description="Columns: name, email, role, start_date. Up to 5,000 people.",
        validators=[FileRequired(message="Select a CSV file")],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ApplyImportForm(FlaskForm):
    reference = HiddenField(validators=[InputRequired(), Length(max=64)])
    submit = SubmitField("Import these people", widget=GovSubmitInput())


class AuditFilterForm(FlaskForm):
    """The audit log's filters: a GET form, so the filtered page has an address of its own."""

    class Meta:
        csrf = False

    action = SelectField("What happened", widget=GovSelect(), validators=[Optional()])
    person = StringField(
        "Who (name or email)",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200)],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())


class RetentionForm(FlaskForm):
    erase_leavers_after_years = IntegerField(
        "Years to keep a leaver's personal details",
        widget=GovTextInput(),
        description="Counted from the day they left. Then their name and email are replaced by a pseudonym; "
        "their training record stays. Usually 6.",
        validators=[
            InputRequired(message="Enter a number of years, for example 6"),
            NumberRange(min=1, max=50, message="Enter a whole number of years between 1 and 50"),
        ],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


def _security_code_field(message: str) -> StringField:
    return StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code your authenticator app shows now.",
        validators=[InputRequired(message=message), Length(max=40, message="Enter a correct security code")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class NewRecoveryCodesForm(FlaskForm):
    code_for_new_codes = _security_code_field("Enter the security code to get new recovery codes")
    submit_new_codes = SubmitField("Get new recovery codes", widget=GovSubmitInput())


class TurnOffTwoStepForm(FlaskForm):
    code_to_turn_off = _security_code_field("Enter the security code to turn off two-step sign-in")
    submit_turn_off = SubmitField("Turn off two-step sign-in", widget=GovSubmitInput())
