"""Signing in and out, choosing a password from an invitation, and resetting a forgotten one.

Every form here is limited per address (the client's real address, see app/proxies.py) and per
account: the address limit stops one client trying many accounts and holds up only that address;
the account limit stops many clients, or one with forged addresses, trying one account.
"""

import hashlib

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from app.extensions import db, limiter
from app.models import TokenPurpose
from app.models.base import utcnow
from app.people import accounts, joining, sign_in_links, two_step
from app.permissions import public, requires
from app.web.auth import bp
from app.web.auth import two_step as second_step
from app.web.auth.forms import ForgotPasswordForm, NewPasswordForm, SignInForm
from app.web.auth.provider_buttons import PROVIDER_LABELS, content_security_policy, provider_buttons
from app.web.sessions import safe_next_url, start_session

SIGN_IN_FAILED = "Enter a correct email address and password"
PASSWORDS_OFF = "Your school asks its staff to sign in with Microsoft or Google: use the button for it below."


def _reset_limit():
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _link_key() -> str:
    # A set-password or reset link belongs to one account; the counter is kept under a hash of its
    # secret, never the secret itself.
    token = (request.view_args or {}).get("token", "")
    return "link:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _submitted_email() -> str:
    # A security code carries no email: its guesses count against the account half-way through signing in.
    if second_step.is_code_attempt():
        return second_step.account_key()
    return accounts.normalise_email(request.form.get("email", ""))[:320] or "(none)"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_submitted_email,
    scope="sign-in-per-account",
)
@limiter.shared_limit(
    lambda: current_app.config["TWO_STEP_RATE_LIMIT"],
    second_step.PER_ACCOUNT_SCOPE,
    methods=["POST"],
    key_func=second_step.account_key,
    exempt_when=lambda: not second_step.is_code_attempt(),
)
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if request.args.get("start_again"):
        second_step.forget()
    elif (halfway := second_step.pending()) is not None:
        return second_step.second_step_page(*halfway)
    elif second_step.is_code_attempt():
        # The code arrived after the step had expired (or the password changed meanwhile).
        second_step.forget()
        flash("Sign in to carry on: the sign-in timed out before the security code arrived.")
        return redirect(url_for("auth.sign_in"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        # A school that requires Microsoft or Google sign-in has switched passwords off for its people:
        # the same answer as a wrong password, except for the recovery path of those who manage it.
        rule = sign_in_links.password_rule(user) if user is not None else None
        if rule is not None and rule.refused:
            user = None
        if user is not None and (stage := _second_step_for_password(user, rule)) is not None:
            second_step.begin(
                user,
                stage,
                safe_next_url(request.args.get("next")),
                recovery_school_ids=rule.recovery_school_ids,
            )
            return redirect(url_for("auth.sign_in"))
        if user is not None:
            accounts.record_sign_in(user)
            db.session.commit()
            start_session(user)
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))
        failed = True
    return render_sign_in_page(form, failed_message=SIGN_IN_FAILED if failed else None)


def _second_step_for_password(user, rule: sign_in_links.PasswordRule) -> str | None:
    """The second step after a correct password; the recovery path always has one (set up if need be)."""
    stage = two_step.second_step(user)
    if stage is None and rule.recovery_school_ids:
        return "set_up"
    return stage


def render_sign_in_page(form=None, *, failed_message: str | None = None, provider_failed: str | None = None):
    """The sign-in page: the password form, the Microsoft and Google buttons, and any failure."""
    response = make_response(
        render_template(
            "auth/sign_in.html",
            form=form or SignInForm(),
            failed=failed_message is not None,
            failed_message=failed_message or SIGN_IN_FAILED,
            provider_failed=provider_failed,
            provider_buttons=provider_buttons(),
        )
    )
    response.headers["Content-Security-Policy"] = content_security_policy()
    return response


@bp.route("/sign-out", methods=["POST"])
@requires()
def sign_out():
    signed_in_with = session.get("signed_in_with", "password")
    accounts.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    if signed_in_with in PROVIDER_LABELS:
        # SEND Ready cannot end the provider's own session, and does not pretend to.
        label = PROVIDER_LABELS[signed_in_with]
        flash(
            f"You have signed out of SEND Ready. You are still signed in to your {label} account in this "
            f"browser: if others use this device, sign out of {label} too."
        )
    else:
        flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


def _new_password_page(token_raw: str, purpose: TokenPurpose, template: str, done_message: str):
    token = accounts.find_valid_token(token_raw, purpose)
    if token is None:
        return render_template("auth/link_not_valid.html", purpose=purpose), 404
    if purpose is TokenPurpose.INVITATION and token.user.has_password:
        # They chose a password through another school's invitation: this one waits for them signed in.
        flash("You already have a password. Sign in to answer your invitation.")
        return redirect(url_for("auth.sign_in", next=url_for("invitations.list_invitations")))
    joining_school = token.school if purpose is TokenPurpose.INVITATION else None
    form = NewPasswordForm(email=token.user.email, name=token.user.name)
    if form.validate_on_submit():
        if not accounts.redeem_token_and_set_password(token, form.password.data):
            db.session.rollback()
            return render_template("auth/link_not_valid.html", purpose=purpose), 404
        user = token.user
        if joining_school is not None and joining.accept(user, joining_school.id):
            done_message = f"Your password is saved: you have joined {joining_school.name} and you are signed in."
        db.session.commit()
        rule = sign_in_links.password_rule(user)
        if rule.refused:
            flash(done_message.replace(" and you are signed in", "") + " " + PASSWORDS_OFF)
            return redirect(url_for("auth.sign_in"))
        if (stage := _second_step_for_password(user, rule)) is not None:
            # A new password alone never gets past two-step sign-in.
            second_step.begin(user, stage, None, recovery_school_ids=rule.recovery_school_ids)
            flash(done_message.replace(" and you are signed in", ""))
            return redirect(url_for("auth.sign_in"))
        start_session(user)
        flash(done_message)
        return redirect(url_for("main.home"))
    return render_template(template, form=form, person=token.user, joining=joining_school)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_link_key, scope="per-account")
@public
def set_password(token):
    return _new_password_page(
        token,
        TokenPurpose.INVITATION,
        "auth/set_password.html",
        "Your password is saved and you are signed in.",
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_link_key, scope="per-account")
@public
def reset_password(token):
    return _new_password_page(
        token,
        TokenPurpose.PASSWORD_RESET,
        "auth/reset_password.html",
        "Your new password is saved and you are signed in. Any other sessions have been signed out.",
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_submitted_email, scope="per-account")
@public
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_link_sent.html", email=form.email.data, sent_at=utcnow())
    return render_template("auth/forgot_password.html", form=form)
