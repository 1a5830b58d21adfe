from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from app.people.passwords import MAXIMUM_LENGTH, password_problem
from app.web.form_fields import strip_whitespace


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=320)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAXIMUM_LENGTH)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    """Choosing a password, from an invitation or a reset link."""

    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use 8 characters or more. A few random words you will remember work well.",
        validators=[InputRequired(message="Enter a new password")],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter the new password again"),
            EqualTo("password", message="The passwords do not match"),
        ],
    )
    submit = SubmitField("Save password", widget=GovSubmitInput())

    def __init__(self, *args, email: str = "", name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email
        self._name = name

    def validate_password(self, field):
        problem = password_problem(field.data or "", email=self._email, name=self._name)
        if problem:
            raise ValidationError(problem)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    """Signing out changes state, so it is a POST with a CSRF token, not a link."""
