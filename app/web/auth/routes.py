"""Signing in and out, choosing a password from an invitation, and resetting a forgotten one.

Every form here is limited per address (the client's real address, see app/proxies.py) and per
account: the address limit stops one client trying many accounts and holds up only that address;
the account limit stops many clients, or one with forged addresses, trying one account.
"""

import hashlib

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from app.extensions import db, limiter
from app.models import TokenPurpose
from app.models.base import utcnow
from app.people import accounts, joining, two_step
from app.permissions import public, requires
from app.web.auth import bp
from app.web.auth import two_step as second_step
from app.web.auth.forms import ForgotPasswordForm, NewPasswordForm, SignInForm
from app.web.sessions import safe_next_url, start_session

SIGN_IN_FAILED = "Enter a correct email address and password"


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
        if user is not None and (stage := two_step.second_step(user)) is not None:
            second_step.begin(user, stage, safe_next_url(request.args.get("next")))
            return redirect(url_for("auth.sign_in"))
        if user is not None:
            accounts.record_sign_in(user)
            db.session.commit()
            start_session(user)
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))
        failed = True
    return render_template("auth/sign_in.html", form=form, failed=failed, failed_message=SIGN_IN_FAILED)


@bp.route("/sign-out", methods=["POST"])
@requires()
def sign_out():
    accounts.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
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
        if (stage := two_step.second_step(user)) is not None:
            # A new password alone never gets past two-step sign-in.
            second_step.begin(user, stage, None)
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
