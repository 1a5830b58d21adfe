"""How the school's people sign in: Microsoft and Google sign-in, set by its headteacher or administrator."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.extensions import db
from app.people import school_sign_in, sign_in_providers
from app.people.models import SignInProvider
from app.people.school_sign_in import SignInChoices
from app.permissions import Permission, current_school, requires
from app.web.admin import bp
from app.web.form_fields import strip_whitespace

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


class SignInSettingsForm(FlaskForm):
    microsoft_enabled = BooleanField(
        "Let staff sign in with Microsoft 365 (Microsoft Entra ID)",
        widget=GovCheckboxInput(),
        description='They choose "Sign in with Microsoft" and use the account your school gave them.',
    )
    microsoft_tenant_id = StringField(
        "Microsoft tenant ID",
        filters=[strip_whitespace],
        widget=GovTextInput(),
        description="Your school's directory (tenant) ID, from the Microsoft Entra admin centre's overview page. "
        "Accounts from any other tenant are refused.",
        validators=[Length(max=36, message="Enter the tenant ID as Microsoft shows it, 36 characters")],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    google_enabled = BooleanField(
        "Let staff sign in with Google Workspace",
        widget=GovCheckboxInput(),
        description='They choose "Sign in with Google" and use the account your school gave them.',
    )
    email_domains = TextAreaField(
        "Your staff's email domains",
        widget=GovTextArea(),
        description="One a line, for example oakfield.sch.uk. A Microsoft or Google account signs in as "
        "someone at your school only if its verified address is theirs and is in one of these domains.",
        validators=[Length(max=2000)],
        render_kw={"spellcheck": "false"},
    )
    trust_provider_mfa = RadioField(
        "Does Microsoft's or Google's own two-step sign-in count as SEND Ready's?",
        widget=GovRadioInput(),
        description="If your accounts always ask for a second factor, leaders can skip SEND Ready's security "
        "code when the provider says it asked for one. Otherwise they give SEND Ready's code too.",
        choices=YES_NO,
        validators=[InputRequired(message="Choose whether the provider's two-step sign-in counts")],
    )
    provider_required = RadioField(
        "Must your staff sign in with Microsoft or Google?",
        widget=GovRadioInput(),
        description="If yes, passwords stop working for everyone at your school, except for the headteacher and "
        "school administrators, who can still sign in with their password and SEND Ready's security code "
        "if Microsoft or Google fails.",
        choices=YES_NO,
        validators=[InputRequired(message="Choose whether staff must sign in with Microsoft or Google")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


def _fill(form: SignInSettingsForm, choices: SignInChoices) -> None:
    form.microsoft_enabled.data = choices.microsoft_enabled
    form.microsoft_tenant_id.data = choices.microsoft_tenant_id or ""
    form.google_enabled.data = choices.google_enabled
    form.email_domains.data = "\n".join(choices.email_domains)
    form.trust_provider_mfa.data = "yes" if choices.trust_provider_mfa else "no"
    form.provider_required.data = "yes" if choices.provider_required else "no"


def _choices(form: SignInSettingsForm) -> SignInChoices | None:
    """The choices the form holds, or None with its fields' errors set."""
    domains, problem = school_sign_in.parse_domains(form.email_domains.data or "")
    if problem:
        form.email_domains.errors = [problem]
        return None
    choices = SignInChoices(
        microsoft_enabled=bool(form.microsoft_enabled.data),
        microsoft_tenant_id=school_sign_in.normalise_tenant_id(form.microsoft_tenant_id.data),
        google_enabled=bool(form.google_enabled.data),
        email_domains=domains,
        trust_provider_mfa=form.trust_provider_mfa.data == "yes",
        provider_required=form.provider_required.data == "yes",
    )
    problems = school_sign_in.problems(choices, by=current_user)
    for name, message in problems.items():
        getattr(form, name).errors = [message]
    return None if problems else choices


@bp.route("/sign-in", methods=["GET", "POST"])
@requires(Permission.MANAGE_SIGN_IN)
def sign_in_settings():
    school = current_school()
    form = SignInSettingsForm()
    if not form.is_submitted():
        _fill(form, school_sign_in.choices_of(school))
    elif form.validate_on_submit() and (choices := _choices(form)) is not None:
        if school_sign_in.change_settings(school, choices, by=current_user):
            db.session.commit()
            flash("How your staff sign in is saved.")
        return redirect(url_for("people.sign_in_settings"))
    return render_template(
        "people/sign_in_settings.html",
        school=school,
        form=form,
        not_configured=[provider for provider in SignInProvider if not sign_in_providers.is_configured(provider)],
    )
