"""Password rules after NCSC guidance and OWASP ASVS: length and a deny-list, no composition rules."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MINIMUM_LENGTH = 8
# Long passphrases are welcome; the cap only stops someone posting megabytes to the hasher.
MAXIMUM_LENGTH = 256


@cache
def _common_passwords() -> frozenset[str]:
    # The 30,000 most common passwords from real breaches, as packaged with zxcvbn.
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Say what is wrong with a new password in plain words, or None if it is acceptable."""
    if len(password) < MINIMUM_LENGTH:
        return f"Password must be {MINIMUM_LENGTH} characters or more"
    if len(password) > MAXIMUM_LENGTH:
        return f"Password must be {MAXIMUM_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "Password is too common and easy to guess: choose a different one, such as three random words"
    personal = {email.lower(), email.lower().split("@")[0], name.lower(), name.lower().replace(" ", "")}
    if lowered in {item for item in personal if item}:
        return "Password must not be your name or email address"
    return None


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(time_cost=config["PASSWORD_HASH_TIME_COST"], memory_cost=config["PASSWORD_HASH_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        # Hash anyway so that a missing account takes as long to refuse as a wrong password.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
