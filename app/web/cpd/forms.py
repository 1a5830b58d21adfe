"""Forms for the CPD record: external CPD (and its corrections), reviews, and voiding a certificate."""

from __future__ import annotations

import secrets
from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from app.models.base import utcnow
from app.records.evidence_files import EvidenceRefused, EvidenceUpload, read_evidence_upload
from app.records.external_cpd import ExternalCpdDetails, Qualification
from app.records.terms import (
    Category,
    QualificationKind,
    QualificationStatus,
    ReviewDecision,
    check_activity_date,
    format_hours,
    local_date,
    minutes_from_hours,
)
from app.web.form_fields import DayMonthYearField, strip_whitespace


def _once_key() -> str:
    return secrets.token_urlsafe(18)


class OnceKeyField(HiddenField):
    """A random key drawn when the form is shown: submitting the same form again records nothing more."""

    def __init__(self, label="", **kwargs):
        kwargs.setdefault("default", _once_key)
        kwargs.setdefault(
            "validators",
            [
                InputRequired(message="The form has expired: try again"),
                Regexp(r"^[A-Za-z0-9_-]{16,64}$", message="The form has expired: try again"),
            ],
        )
        super().__init__(label, **kwargs)


def _today() -> date:
    return local_date(utcnow())


class ExternalCpdForm(FlaskForm):
    once_key = OnceKeyField()
    title = StringField(
        "Title",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        description="For example, Autism awareness for support staff",
        validators=[InputRequired(message="Enter the title of the training"), Length(max=200)],
    )
    provider = StringField(
        "Provider",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        description="Who ran it, for example your local authority, a university or your school",
        validators=[InputRequired(message="Enter who provided the training"), Length(max=200)],
    )
    activity_date = DayMonthYearField(
        "Date",
        description="The day you did it, or for a qualification the day you enrolled. For example, 27 3 2026",
        validators=[InputRequired(message="Enter the date, for example 27 3 2026")],
    )
    hours = StringField(
        "Hours",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        description="For example, 1.5 for an hour and a half. For a qualification you have only enrolled on, enter 0",
        validators=[InputRequired(message="Enter the number of hours")],
        render_kw={"inputmode": "decimal", "spellcheck": "false", "autocomplete": "off"},
    )
    category = RadioField(
        "Category",
        widget=GovRadioInput(),
        choices=[SelectChoice(category.value, category.label) for category in Category],
        validators=[InputRequired(message="Select the category")],
    )
    qualification_kind = RadioField(
        "Which qualification",
        widget=GovRadioInput(),
        choices=[SelectChoice(kind.value, kind.label) for kind in QualificationKind],
        validators=[Optional()],
    )
    qualification_status = RadioField(
        "Qualification status",
        widget=GovRadioInput(),
        choices=[SelectChoice(status.value, status.label) for status in QualificationStatus],
        validators=[Optional()],
    )
    completed_on = DayMonthYearField(
        "Date completed",
        description="Only if you have completed it. For example, 14 7 2026",
        validators=[Optional()],
    )
    reflection = TextAreaField(
        "What changed in your practice (optional)",
        widget=GovCharacterCount(),
        filters=[strip_whitespace],
        description="What you do differently because of it",
        validators=[Length(max=2000, message="What changed in your practice must be 2000 characters or fewer")],
    )
    evidence = FileField(
        "Evidence (optional)",
        widget=GovFileInput(),
        description="A certificate or letter as a PDF, PNG or JPEG, 5 MB or smaller",
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.minutes: int | None = None
        self.evidence_upload: EvidenceUpload | None = None
        self.evidence_too_large = False

    def validate_hours(self, field):
        try:
            self.minutes = minutes_from_hours(field.data)
        except ValueError as problem:
            raise ValidationError(str(problem)) from problem

    def validate_activity_date(self, field):
        if field.data is not None:
            try:
                check_activity_date(field.data, _today())
            except ValueError as problem:
                raise ValidationError(str(problem)) from problem

    def validate_evidence(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            return
        try:
            self.evidence_upload = read_evidence_upload(upload.stream, upload.filename)
        except EvidenceRefused as problem:
            self.evidence_too_large = problem.too_large
            raise ValidationError(str(problem)) from problem

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        qualification = self.category.data == Category.QUALIFICATION.value
        if qualification:
            if not self.qualification_kind.data:
                self.qualification_kind.errors = ["Select which qualification it is"]
                valid = False
            if not self.qualification_status.data:
                self.qualification_status.errors = ["Select whether you are enrolled or have completed it"]
                valid = False
            completed = self.qualification_status.data == QualificationStatus.COMPLETED.value
            if completed and self.completed_on.data is None and not self.completed_on.errors:
                self.completed_on.errors = ["Enter the date you completed it"]
                valid = False
            elif not completed and self.completed_on.data is not None:
                self.completed_on.errors = ["Leave the date completed empty until you have completed it"]
                valid = False
            elif completed and self.completed_on.data is not None:
                if self.completed_on.data > _today():
                    self.completed_on.errors = ["The date completed must be today or in the past"]
                    valid = False
                elif self.activity_date.data and self.completed_on.data < self.activity_date.data:
                    self.completed_on.errors = ["The date completed must be on or after the date you enrolled"]
                    valid = False
        elif self.minutes == 0 and not self.hours.errors:
            self.hours.errors = ["Hours must be more than 0"]
            valid = False
        return valid

    def details(self) -> ExternalCpdDetails:
        category = Category(self.category.data)
        qualification = None
        if category is Category.QUALIFICATION:
            status = QualificationStatus(self.qualification_status.data)
            qualification = Qualification(
                QualificationKind(self.qualification_kind.data),
                status,
                self.completed_on.data if status is QualificationStatus.COMPLETED else None,
            )
        return ExternalCpdDetails(
            title=self.title.data,
            provider=self.provider.data,
            activity_date=self.activity_date.data,
            minutes=self.minutes or 0,
            category=category,
            reflection=self.reflection.data or "",
            qualification=qualification,
        )

    def fill_from(self, details: ExternalCpdDetails) -> None:
        """Show a version's details in the form, for correcting them."""
        self.title.data = details.title
        self.provider.data = details.provider
        self.activity_date.data = details.activity_date
        self.hours.data = format_hours(details.minutes)
        self.category.data = details.category.value
        self.reflection.data = details.reflection
        if details.qualification is not None:
            self.qualification_kind.data = details.qualification.kind.value
            self.qualification_status.data = details.qualification.status.value
            self.completed_on.data = details.qualification.completed_on


class CorrectExternalCpdForm(ExternalCpdForm):
    remove_evidence = BooleanField("Remove the evidence file I attached before", widget=GovCheckboxInput())
    submit = SubmitField("Save the correction", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    once_key = OnceKeyField()
    # The version the reviewer was shown: a correction made since then must be read first.
    seen_version = HiddenField(validators=[InputRequired(message="The form has expired: try again")])
    decision = RadioField(
        "Your decision",
        widget=GovRadioInput(),
        choices=[
            SelectChoice(ReviewDecision.VERIFY.value, "Verify: it took place as described"),
            SelectChoice(ReviewDecision.REJECT.value, "Reject: it cannot be verified"),
        ],
        validators=[InputRequired(message="Select whether you verify or reject it")],
    )
    comment = TextAreaField(
        "Comment",
        widget=GovCharacterCount(),
        filters=[strip_whitespace],
        description="The person will see this. Say why if you reject it",
        validators=[Length(max=1000, message="The comment must be 1000 characters or fewer")],
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def validate_comment(self, field):
        if self.decision.data == ReviewDecision.REJECT.value and not field.data:
            raise ValidationError("Say why you are rejecting it")

    def seen_version_id(self) -> int | None:
        try:
            return int(self.seen_version.data)
        except (TypeError, ValueError):
            return None


class VoidCertificateForm(FlaskForm):
    reason = TextAreaField(
        "Why is this certificate being voided?",
        widget=GovCharacterCount(),
        filters=[strip_whitespace],
        description="For example, it was completed on the wrong person's account",
        validators=[
            InputRequired(message="Say why the certificate is being voided"),
            Length(max=500, message="The reason must be 500 characters or fewer"),
        ],
    )
    submit = SubmitField("Void the certificate", widget=GovSubmitInput())


# A signed badge is a few kilobytes; anything far larger is not one of ours.
LARGEST_CREDENTIAL = 64 * 1024


class CheckBadgeForm(FlaskForm):
    """A badge to check: pasted, or a file uploaded (the .jwt or .json a person downloaded)."""

    credential = TextAreaField(
        "Paste the badge",
        filters=[strip_whitespace],
        description="The signed badge (it starts with eyJ) or the badge's JSON (it starts with {)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=LARGEST_CREDENTIAL, message="The badge must be 64 KB or smaller")],
    )
    credential_file = FileField(
        "Or upload the badge file",
        description="A .jwt or .json file, 64 KB or smaller",
        widget=GovFileInput(),
    )
    submit = SubmitField("Check the badge", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.text = ""

    def validate_credential_file(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        data = upload.stream.read(LARGEST_CREDENTIAL + 1)
        if len(data) > LARGEST_CREDENTIAL:
            raise ValidationError("The badge file must be 64 KB or smaller")
        try:
            self.text = data.decode("utf-8").strip()
        except UnicodeDecodeError as error:
            raise ValidationError("The badge file must be a .jwt or .json text file") from error
        if not self.text:
            raise ValidationError("The badge file is empty")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.text:
            self.text = self.credential.data or ""
            if not self.text:
                self.credential.errors = [*self.credential.errors, "Paste a badge or upload a badge file"]
                return False
        return valid
