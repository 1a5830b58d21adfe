"""Accounts: invitations, passwords, sign-in checks, resets and ending sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AccountToken, AuditAction, Membership, Role, School, TokenPurpose, User
from app.models.base import utcnow
from app.models.people import new_session_token
from app.people import passwords
from app.platform import AnotherPerson, public_url, queue_email, record_event


class AlreadyMember(ValueError):
    """The person already holds that role at that school."""


def normalise_email(address: str) -> str:
    return address.strip().lower()


def find_user_by_email(address: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(address))).first()


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose, *, school_id: int | None = None) -> str:
    """Create a single-use link secret for the person; earlier unused links of that kind stop working.

    An invitation link belongs to the school that sent it: a second school's invitation leaves the
    first school's link working, and choosing a password through it accepts that school's invitation.
    """
    now = utcnow()
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.school_id.is_(None) if school_id is None else AccountToken.school_id == school_id,
        )
        .values(used_at=now)
    )
    valid_for = current_app.config[
        "INVITATION_VALID_FOR" if purpose is TokenPurpose.INVITATION else "PASSWORD_RESET_VALID_FOR"
    ]
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(raw),
            expires_at=now + valid_for,
            school_id=school_id,
        )
    )
    db.session.flush()
    return raw


def find_valid_token(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    token = db.session.scalars(select(AccountToken).where(AccountToken.token_hash == _token_hash(raw))).first()
    if token is None or token.purpose is not purpose or token.used_at is not None:
        return None
    if token.expires_at <= utcnow() or not token.user.active:
        return None
    return token


def redeem_token_and_set_password(token: AccountToken, new_password: str) -> bool:
    """Use the link once: set the password and end every existing session. False if already used."""
    claimed = db.session.execute(
        update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        return False
    user = token.user
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    db.session.flush()
    return True


def _link(endpoint: str, raw: str) -> str:
    return public_url(endpoint, token=raw)


def add_role(*, user: User, school: School, role: Role, started_on: date, by: User | None) -> Membership:
    """Give someone who already works at the school another role there, and tell them.

    Only for a current member (joining a school is by invitation: `invitations.invite`). Asking for a
    role they hold already is refused, so a double-submitted form never creates two memberships.
    """
    existing = db.session.scalars(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.school_id == school.id,
            Membership.role == role,
            Membership.ended_on.is_(None),
        )
    ).first()
    if existing is not None:
        raise AlreadyMember(f"{user.name} is already a {role.label.lower()} at {school.name}")
    membership = Membership(
        user_id=user.id, school_id=school.id, role=role, started_on=started_on, invited_by_id=by.id if by else None
    )
    db.session.add(membership)
    db.session.flush()
    record_event(
        AuditAction.ROLES_CHANGED,
        school_id=school.id,
        actor_id=by.id if by else None,
        subject_user_id=user.id,
        details={"added": [role.value], "ended": []},
    )
    tell_about_new_role(user, school=school, role=role, inviter=by)
    return membership


def tell_about_new_role(user: User, *, school: School, role: Role, inviter: User | None) -> None:
    """Email someone who already works at the school that they have another role there."""
    queue_email(
        kind="role_added",
        to=user.email,
        template="role_added",
        user_id=user.id,
        school_id=school.id,
        name=user.name,
        school=school.name,
        role=role.label,
        inviter=AnotherPerson(inviter.name) if inviter else school.name,
        sign_in_link=public_url("auth.sign_in"),
    )


def authenticate(email_address: str, password: str) -> User | None:
    """The person if the email and password match an active account; otherwise None, for any reason.

    Unknown email, wrong password and a disabled account are indistinguishable to the caller and
    take the same time, so sign-in reveals nothing about who has an account.
    """
    user = find_user_by_email(email_address)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        return None
    return user


def record_sign_in(user: User) -> None:
    user.last_signed_in_at = utcnow()
    db.session.flush()


def request_password_reset(email_address: str) -> None:
    """Email a reset link if the address belongs to an active account. Says nothing either way."""
    user = find_user_by_email(email_address)
    if user is None or not user.active:
        return
    raw = issue_token(user, TokenPurpose.PASSWORD_RESET)
    queue_email(
        kind="password_reset",
        to=user.email,
        template="password_reset",
        user_id=user.id,
        # Sent for the person's account, not for any school.
        school_id=None,
        name=user.name,
        link=_link("auth.reset_password", raw),
        minutes=int(current_app.config["PASSWORD_RESET_VALID_FOR"].total_seconds() // 60),
    )


def end_all_sessions(user: User) -> None:
    """Sign the person out everywhere: every cookie carries the old token, which stops matching."""
    user.session_token = new_session_token()
    db.session.flush()


def deactivate(user: User) -> None:
    user.active = False
    end_all_sessions(user)


def reactivate(user: User) -> None:
    """Let the person sign in again (someone who left and has come back)."""
    user.active = True
    db.session.flush()


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0
