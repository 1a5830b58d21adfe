"""Two-step sign-in: a time-based one-time code (TOTP, RFC 6238) from an authenticator app, and
single-use recovery codes for when the phone is lost.

Required for the roles that can see or change other people's records (headteachers, SENCOs, school
admins, local authority officers) when TWO_STEP_REQUIRED_FOR_LEADERS is on; anyone else may choose it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import AuditAction, Membership, RecoveryCode, Role, User
from app.models.base import utcnow
from app.platform import record_event

ISSUER = "SEND Ready"
REQUIRED_ROLES = frozenset({Role.HEADTEACHER, Role.SENCO, Role.SCHOOL_ADMIN, Role.LA_OFFICER})
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10


def required_for(user: User, today: date | None = None) -> bool:
    """Whether the person must use two-step sign-in: a role that needs it, held now or from a later date."""
    if not current_app.config["TWO_STEP_REQUIRED_FOR_LEADERS"]:
        return False
    today = today or date.today()
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.user_id == user.id,
                Membership.role.in_(list(REQUIRED_ROLES)),
                (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
            )
        )
    )


def second_step(user: User) -> str | None:
    """What the person must do after a correct password: "code", "set_up", or nothing (None)."""
    if user.has_two_step:
        return "code"
    if required_for(user):
        return "set_up"
    return None


# ---- the authenticator --------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()


# Part of the key: a value worked out for any other purpose from the same SECRET_KEY never matches.
SET_UP_KEY_PURPOSE = b"send-ready two-step set-up key v1"


def new_set_up_reference() -> str:
    """A random reference to the key offered during set-up: what the session keeps instead of the key."""
    return secrets.token_urlsafe(16)


def set_up_secret(user: User, reference: str) -> str:
    """The authenticator key offered to the person while they set up two-step sign-in.

    The session is a signed cookie that anyone holding it can read, so it keeps only a random
    reference; the key is worked out from it here, on the server: HMAC-SHA256 over the person's id and
    the reference, keyed with HMAC-SHA256(SECRET_KEY, SET_UP_KEY_PURPOSE) so that key serves this one
    purpose. The same reference gives the same key (reloading the page does not undo a scan), and
    without SECRET_KEY the reference says nothing about it. The key is stored with the account only
    once a code proves the person's app has it (`set_up`).
    """
    secret_key = current_app.config["SECRET_KEY"]
    secret_bytes = secret_key.encode("utf-8") if isinstance(secret_key, str) else bytes(secret_key)
    purpose_key = hmac.new(secret_bytes, SET_UP_KEY_PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(purpose_key, f"{user.id}:{reference}".encode(), hashlib.sha256).digest()
    # 160 bits, as RFC 4226 recommends and authenticator apps expect: 32 base32 characters.
    return base64.b32encode(digest[:20]).decode("ascii")


def readable_secret(secret: str) -> str:
    """The key in groups of four, as people type it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, user: User) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(secret: str, user: User) -> str:
    """The set-up link as a QR code: an SVG data URI for an <img> (the page's policy allows data: images)."""
    return segno.make(provisioning_uri(secret, user), error="m").svg_data_uri(scale=4, border=2)


def _normalise(code: str) -> str:
    return "".join(character for character in (code or "").lower() if character.isalnum())


def matching_counter(secret: str, code: str, *, after: int | None = None) -> int | None:
    """The time-step the code belongs to (now, or one step either side for clock drift), if any.

    A step at or before `after` (the last one used) is refused, so one code signs in once.
    """
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for counter in (current - 1, current, current + 1):
        if after is not None and counter <= after:
            continue
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


# ---- recovery codes -----------------------------------------------------------------------------


def _recovery_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{_normalise(code)}".encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def replace_recovery_codes(user: User) -> list[str]:
    """New recovery codes for the person (the old ones stop working). Shown once; only hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, code)) for code in codes)
    db.session.flush()
    return codes


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _use_recovery_code(user: User, code: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(user.id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ).rowcount
    return used == 1


# ---- checking, setting up, turning off ----------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    accepted: bool
    used_recovery_code: bool = False


def check_code(user: User, code: str) -> CodeCheck:
    """A code from the person's authenticator, or one of their recovery codes (used up as it is accepted)."""
    if not user.has_two_step:
        return CodeCheck(False)
    counter = matching_counter(user.two_step_secret, code, after=user.two_step_last_counter)
    if counter is not None:
        user.two_step_last_counter = counter
        db.session.flush()
        return CodeCheck(True)
    if len(_normalise(code)) == RECOVERY_CODE_LENGTH and _use_recovery_code(user, code):
        return CodeCheck(True, used_recovery_code=True)
    return CodeCheck(False)


def set_up(user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-step sign-in on with this secret if the code proves the app has it; the recovery codes.

    None if the code is wrong (nothing changes).
    """
    counter = matching_counter(secret, code)
    if counter is None:
        return None
    user.two_step_secret = secret
    user.two_step_enabled_at = utcnow()
    user.two_step_last_counter = counter
    codes = replace_recovery_codes(user)
    record_event(AuditAction.TWO_STEP_SET_UP, actor_id=user.id, subject_user_id=user.id)
    return codes


def new_recovery_codes(user: User, code: str) -> list[str] | None:
    """Replace the recovery codes, proved by a current code. None if the code is wrong."""
    if not check_code(user, code).accepted:
        return None
    codes = replace_recovery_codes(user)
    record_event(AuditAction.RECOVERY_CODES_REPLACED, actor_id=user.id, subject_user_id=user.id)
    return codes


class TwoStepRequired(ValueError):
    """The person's role needs two-step sign-in, so they cannot turn it off."""


def turn_off(user: User, code: str) -> bool:
    """Turn two-step sign-in off, proved by a current code. False if the code is wrong."""
    if required_for(user):
        raise TwoStepRequired("Your role needs two-step sign-in, so it cannot be turned off")
    if not check_code(user, code).accepted:
        return False
    user.two_step_secret = None
    user.two_step_enabled_at = None
    user.two_step_last_counter = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event(AuditAction.TWO_STEP_TURNED_OFF, actor_id=user.id, subject_user_id=user.id)
    db.session.flush()
    return True


def reset(user: User) -> None:
    """Turn two-step sign-in off for someone who has lost their phone and their recovery codes (run by
    the service's operators after checking who is asking). A leader sets it up again at their next sign-in."""
    user.two_step_secret = None
    user.two_step_enabled_at = None
    user.two_step_last_counter = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event(AuditAction.TWO_STEP_TURNED_OFF, subject_user_id=user.id, details={"by": "command"})
    db.session.flush()
