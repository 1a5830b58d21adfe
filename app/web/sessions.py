"""Signed-in sessions: starting one, loading the person, timeouts, and safe redirects after sign-in.

Sessions are signed cookies (nothing on the server), so any worker on any machine can serve any
request. The cookie carries the person's session token; changing the token ends their sessions.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload

from app.extensions import db, login_manager
from app.models import Membership, User
from app.models.base import utcnow


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    # The person's roles and their schools come with them, in the same round trip: every page asks
    # which school they work in.
    user = db.session.get(
        User,
        int(user_id),
        options=[
            joinedload(User.memberships).options(joinedload(Membership.school), joinedload(Membership.organisation))
        ],
    )
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def start_session(user: User, *, signed_in_with: str = "password", second_step: str | None = None) -> None:
    """A fresh session for a fresh sign-in: nothing from before (including the CSRF token) carries over.

    The session records how the person signed in (`password`, `microsoft`, `google`) and what, if
    anything, was their second step: SEND Ready's own security code (`code`), or the provider's own
    multi-factor sign-in, where their schools trust it (`provider`).
    """
    session.clear()
    login_user(user)
    session.permanent = True
    now = utcnow().timestamp()
    session["signed_in_at"] = now
    session["last_seen_at"] = now
    session["signed_in_with"] = signed_in_with
    if second_step is not None:
        session["second_step"] = second_step


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site: never another host, a scheme, or a protocol-relative //host."""
    if not target:
        return None
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def enforce_session_timeouts():
    """Before each request: end a session that has been idle too long or open too long."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = utcnow().timestamp()
    config = current_app.config
    signed_in_at = session.get("signed_in_at", 0)
    last_seen_at = session.get("last_seen_at", 0)
    idle = now - last_seen_at > config["SESSION_IDLE_TIMEOUT"].total_seconds()
    too_old = now - signed_in_at > config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    if idle or too_old:
        logout_user()
        session.clear()
        flash("You were signed out because you had been away for a while. Sign in again to carry on.")
        next_path = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.sign_in", next=next_path))
    session["last_seen_at"] = now
    return None
