"""The second step of signing in: a security code, or setting up an authenticator first.

After a correct password, a person who needs a second step is not signed in yet: the session holds
only who they are (with their session token, so a password change in between cancels it), where
they were going, and when this started. The sign-in page then asks for the code, or (for a leader
who must use two-step sign-in and has not set it up) shows the key to add to an authenticator app,
worked out on the server from a random reference the session keeps (never the key itself).
Everything stays on /sign-in, so the rules of that page (rate limits, no caching) cover both steps.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.people import accounts, sign_in_links, two_step
from app.web.sessions import start_session

PENDING_KEY = "two_step_pending"
PENDING_FOR_SECONDS = 10 * 60
# Security code attempts against one account count together wherever they are made.
PER_ACCOUNT_SCOPE = "two-step-per-account"
CODE_FAILED = "Enter a correct security code"


class SecurityCodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[InputRequired(message="Enter the security code"), Length(max=40, message=CODE_FAILED)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"},
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SetUpForm(FlaskForm):
    code = StringField(
        "Security code from the app",
        widget=GovTextInput(),
        description="Once the app has the key, it shows a 6-digit code that changes every 30 seconds.",
        validators=[InputRequired(message="Enter the 6-digit code from your authenticator app"), Length(max=40)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
        },
    )
    submit = SubmitField("Turn on two-step sign-in", widget=GovSubmitInput())


def begin(
    user: User,
    stage: str,
    next_url: str | None,
    *,
    signed_in_with: str = "password",
    recovery_school_ids: tuple[int, ...] = (),
) -> None:
    """Remember the person between their password (or their Microsoft or Google sign-in) and their
    code (nothing else carries over). `recovery_school_ids` are the schools whose required provider
    sign-in this password sign-in is the recovery path for: logged there once the code is right."""
    session.clear()
    pending = {
        "user_id": user.id,
        "token": user.session_token,
        "at": utcnow().timestamp(),
        "next": next_url,
        "stage": stage,
        "signed_in_with": signed_in_with,
        "recovery_school_ids": list(recovery_school_ids),
    }
    if stage == "set_up":
        # The key the person is shown is worked out on the server from this reference; the cookie,
        # which anyone holding it can read, never carries the key itself.
        pending["set_up_reference"] = two_step.new_set_up_reference()
    session[PENDING_KEY] = pending


def pending() -> tuple[User, dict] | None:
    """The person half-way through signing in, if the step is still fresh and their account unchanged."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    if utcnow().timestamp() - data.get("at", 0) > PENDING_FOR_SECONDS:
        return None
    user = db.session.get(User, data.get("user_id", 0))
    if user is None or not user.active or user.session_token != data.get("token"):
        return None
    if data.get("stage") == "set_up" and not isinstance(data.get("set_up_reference"), str):
        return None
    return user, data


def forget() -> None:
    session.pop(PENDING_KEY, None)


def account_key() -> str:
    """Whose code is being tried: the per-account rate limit counts guesses against this."""
    data = session.get(PENDING_KEY)
    return person_key(data.get("user_id")) if isinstance(data, dict) else person_key(None)


def person_key(user_id: int | None) -> str:
    """The per-account counter of security code attempts: shared by signing in and the account page."""
    return f"two-step:{user_id if user_id is not None else '(none)'}"


def is_code_attempt() -> bool:
    return request.method == "POST" and "code" in request.form


def _finish(user: User, data: dict):
    accounts.record_sign_in(user)
    if data.get("recovery_school_ids"):
        sign_in_links.record_recovery_sign_in(user, data["recovery_school_ids"])
    db.session.commit()
    start_session(user, signed_in_with=data.get("signed_in_with", "password"), second_step="code")
    return data.get("next") or url_for("main.home")


def second_step_page(user: User, data: dict):
    """The code page, or the set-up page: its GET, and its POST (the answer to it)."""
    if data["stage"] == "set_up":
        return _set_up_page(user, data)
    form = SecurityCodeForm()
    if form.validate_on_submit():
        check = two_step.check_code(user, form.code.data)
        if check.accepted:
            left = two_step.recovery_codes_left(user) if check.used_recovery_code else None
            destination = _finish(user, data)
            if left is not None:
                flash(
                    f"You signed in with a recovery code, which now cannot be used again. You have {left} left: "
                    "get new ones from Your account if you are running low."
                )
            return redirect(destination)
        db.session.rollback()
        # The same words for a wrong code, a used one and a wrong recovery code.
        form.code.errors = [CODE_FAILED]
    return _not_kept(render_template("auth/security_code.html", form=form))


def _set_up_page(user: User, data: dict):
    form = SetUpForm()
    secret = two_step.set_up_secret(user, data["set_up_reference"])
    if form.validate_on_submit():
        codes = two_step.set_up(user, secret, form.code.data)
        if codes is not None:
            destination = _finish(user, data)
            return render_template("auth/recovery_codes.html", codes=codes, continue_url=destination, first_time=True)
        db.session.rollback()
        form.code.errors = [CODE_FAILED]
    return _not_kept(
        render_template(
            "auth/set_up_two_step.html",
            form=form,
            action=url_for("auth.sign_in"),
            secret=two_step.readable_secret(secret),
            qr_code=two_step.qr_code_data_uri(secret, user),
            during_sign_in=True,
        )
    )


def _not_kept(html: str):
    """Not signed in yet, but the page is about one person (and may show their key): no copies kept."""
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response
