"""Signing in with Microsoft or Google: sending the person to the provider, taking them back, and, for
someone a school invited, joining it in the same step.

These pages follow the password's rules: limited per address, every failure gets the same words
(`PROVIDER_SIGN_IN_FAILED`, whatever went wrong: the reason goes to the log), a fresh session on
success, and leaders still meet the two-step rule, by SEND Ready's own code on /sign-in or, where their
schools trust it, by the provider's own multi-factor sign-in.
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db, limiter
from app.models import User
from app.models.base import utcnow
from app.people import accounts, joining, sign_in_links, sign_in_providers, two_step
from app.people.models import SignInProvider
from app.people.sign_in_links import JoinFirst, SignInRefused
from app.people.sign_in_providers import ProviderAccount, ProviderSignInFailed
from app.permissions import public
from app.platform import public_url
from app.web.auth import bp
from app.web.auth import two_step as second_step
from app.web.auth.routes import render_sign_in_page
from app.web.sessions import safe_next_url, start_session

log = logging.getLogger(__name__)

PROVIDER_SIGN_IN_FAILED = (
    "We could not sign you in with that account. Use the account your school gave you, or sign in with "
    "your email address and password"
)
PROVIDERS = "any(microsoft, google)"
NEXT_KEY = "provider_sign_in_next"
JOIN_KEY = "provider_sign_in_join"
JOIN_FOR_SECONDS = 10 * 60
# Starting, finishing and joining count together, per address, with the password form's allowance.
limit_provider_sign_in = limiter.shared_limit(
    lambda: current_app.config["SIGN_IN_RATE_LIMIT"], "provider-sign-in", methods=["GET", "POST"]
)


def _failed(reason: str):
    log.info("Provider sign-in refused: %s", reason)
    response = render_sign_in_page(provider_failed=PROVIDER_SIGN_IN_FAILED)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(f"/sign-in/<{PROVIDERS}:provider>", methods=["POST"])
@limit_provider_sign_in
@public
def start_provider_sign_in(provider: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    chosen = SignInProvider(provider)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not sign_in_providers.is_configured(chosen):
        return render_sign_in_page(
            provider_failed=f"Sign-in with {chosen.label} is not set up on this site. Sign in with your email "
            "address and password"
        )
    next_url = safe_next_url(request.args.get("next"))
    try:
        response = sign_in_providers.authorization_redirect(
            chosen, public_url("auth.finish_provider_sign_in", provider=chosen.value)
        )
    except ProviderSignInFailed as failure:
        return _failed(str(failure))
    session[NEXT_KEY] = next_url
    return response


@bp.route(f"/sign-in/<{PROVIDERS}:provider>/callback")
@limit_provider_sign_in
@public
def finish_provider_sign_in(provider: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    chosen = SignInProvider(provider)
    if not sign_in_providers.is_configured(chosen):
        return _failed(f"{chosen.value} is not configured")
    try:
        account = sign_in_providers.finish(chosen)
        outcome = sign_in_links.resolve(account)
    except (ProviderSignInFailed, SignInRefused) as failure:
        db.session.rollback()
        return _failed(f"{chosen.value}: {failure}")
    next_url = session.pop(NEXT_KEY, None)
    if isinstance(outcome, JoinFirst):
        db.session.rollback()
        session[JOIN_KEY] = _pending_join(outcome.user, outcome.school_id, account, next_url)
        return redirect(url_for("auth.join_with_provider", provider=chosen.value))
    return _signed_in(outcome.user, account, next_url)


def _signed_in(user: User, account: ProviderAccount, next_url: str | None, message: str | None = None):
    """Past the provider: the two-step rule, then a fresh session (which the message survives)."""
    trusted = sign_in_links.provider_mfa_counts(user, account)
    stage = two_step.second_step(user)
    if stage is not None and not trusted:
        db.session.commit()
        second_step.begin(user, stage, next_url, signed_in_with=account.provider.value)
        destination = url_for("auth.sign_in")
    else:
        accounts.record_sign_in(user)
        db.session.commit()
        start_session(user, signed_in_with=account.provider.value, second_step="provider" if stage else None)
        destination = next_url or url_for("main.home")
    if message:
        flash(message)
    return redirect(destination)


def _pending_join(user: User, school_id: int, account: ProviderAccount, next_url: str | None) -> dict:
    # The checked account waits in the (signed) session while the person reads the invitation: the
    # session can be read by whoever holds it, so it holds ids and the address, no secrets.
    return {
        "user_id": user.id,
        "token": user.session_token,
        "school_id": school_id,
        "at": utcnow().timestamp(),
        "next": next_url,
        "account": {
            "provider": account.provider.value,
            "subject": account.subject,
            "tenant_id": account.tenant_id,
            "email": account.email,
            "email_verified": account.email_verified,
            "hosted_domain": account.hosted_domain,
            "multi_factor": account.multi_factor,
        },
    }


def _join_waiting(provider: SignInProvider) -> tuple[User, ProviderAccount, dict] | None:
    data = session.get(JOIN_KEY)
    if not isinstance(data, dict) or utcnow().timestamp() - data.get("at", 0) > JOIN_FOR_SECONDS:
        return None
    details = data.get("account") or {}
    if details.get("provider") != provider.value:
        return None
    user = db.session.get(User, data.get("user_id", 0))
    if user is None or not user.active or user.session_token != data.get("token"):
        return None
    account = ProviderAccount(
        provider=provider,
        subject=details["subject"],
        tenant_id=details["tenant_id"],
        email=details["email"],
        email_verified=details["email_verified"],
        hosted_domain=details["hosted_domain"],
        multi_factor=details["multi_factor"],
    )
    return user, account, data


@bp.route(f"/sign-in/<{PROVIDERS}:provider>/join", methods=["GET", "POST"])
@limit_provider_sign_in
@public
def join_with_provider(provider: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    chosen = SignInProvider(provider)
    waiting = _join_waiting(chosen)
    if waiting is None:
        # Nothing waiting (or it waited too long): start again from the sign-in page, shown here.
        session.pop(JOIN_KEY, None)
        return render_sign_in_page(provider_failed=f"Sign in with {chosen.label} again to carry on")
    user, account, data = waiting
    invitation = next((item for item in joining.pending_for(user) if item.school.id == data["school_id"]), None)
    if invitation is None:
        session.pop(JOIN_KEY, None)
        return _failed("the invitation was answered or withdrawn while the person read it")
    form = FlaskForm()
    if form.validate_on_submit():
        answer = request.form.get("answer")
        if answer == "decline":
            joining.decline(user, invitation.school.id)
            db.session.commit()
            session.pop(JOIN_KEY, None)
            flash(f"You declined the invitation from {invitation.school.name}.")
            return redirect(url_for("auth.sign_in"))
        if answer == "accept":
            session.pop(JOIN_KEY, None)
            try:
                sign_in_links.join_and_link(user, account, invitation.school.id)
            except SignInRefused as refused:
                db.session.rollback()
                return _failed(str(refused))
            joined = f"You have joined {invitation.school.name}, and your {chosen.label} account now signs you in."
            return _signed_in(user, account, data.get("next"), joined)
        form.form_errors.append("Choose whether to join")
    response = make_response(
        render_template("auth/join_with_provider.html", form=form, invitation=invitation, provider=chosen, person=user)
    )
    response.headers["Cache-Control"] = "no-store"
    return response
