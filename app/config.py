"""Settings, read from the environment once when the app is created."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

# A key that exists only so that a fresh clone runs; production refuses it.
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"  # noqa: S105

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class ConfigurationError(RuntimeError):
    """The app was asked to start with settings that are unsafe or incomplete."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit():
        raise ConfigurationError(f"{name} must be a whole number (0 or more), not {value!r}.")
    return int(value)


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'send-ready.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def content_root() -> str:
    """The folder holding modules/ and quizzes/. `flask content` reads it without starting the app."""
    return os.environ.get("CONTENT_ROOT", str(INSTANCE_DIR.parent))


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply any overrides (tests use these)."""
    production = os.environ.get("SEND_READY_ENV", "development") == "production"
    config: dict = {
        "PRODUCTION": production,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        # No ping on every checkout: connections are replaced after half an hour, and a reading request
        # whose connection had dropped is run again on a new one (app/platform/database.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False, "pool_recycle": 1800},
        # On PostgreSQL, GET and HEAD requests read without a transaction (no BEGIN and ROLLBACK round
        # trips), and enter one only if they write (app/platform/database.py).
        "READ_PAGES_WITHOUT_TRANSACTION": _flag("READ_PAGES_WITHOUT_TRANSACTION", True),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Email: SMTP when MAIL_SERVER is set, otherwise each message is written to the log.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        # Seconds to wait on the mail server before giving up on a message (it stays in the outbox, to be
        # tried again later): a mail server that hangs holds up only the sender, for this long at most.
        "MAIL_TIMEOUT": _count("MAIL_TIMEOUT", 20),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "SEND Ready <no-reply@send-ready.invalid>"),
        # With a worker running `flask outbox work`, set this to false so requests never wait on SMTP.
        "MAIL_DELIVER_IN_REQUEST": _flag("MAIL_DELIVER_IN_REQUEST", True),
        # Links in emails need the public address; in a request the request's own host is used.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Sessions live in a signed cookie: nothing is kept on the server, so any worker can serve anyone.
        "SESSION_COOKIE_NAME": "send_ready_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "30"))),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))),
        "INVITATION_VALID_FOR": timedelta(days=7),
        "PASSWORD_RESET_VALID_FOR": timedelta(hours=1),
        # Argon2id cost; tests lower it so that hundreds of sign-ins stay fast.
        "PASSWORD_HASH_TIME_COST": 3,
        "PASSWORD_HASH_MEMORY_COST": 65536,
        # How many reverse proxies stand in front of the app and add the client's address to
        # X-Forwarded-For (app/proxies.py); 0 ignores the header, so the socket's address counts.
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES", 0),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Set when several deployments (or test runs) share one Redis, so that their counts stay apart.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", ""),
        "SIGN_IN_RATE_LIMIT": os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute"),
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute"),
        # Headteachers, SENCOs, school admins and officers must sign in with a code from an authenticator
        # app as well as their password; everyone else may choose to.
        "TWO_STEP_REQUIRED_FOR_LEADERS": _flag("TWO_STEP_REQUIRED_FOR_LEADERS", True),
        # Security code attempts, per account: the code has a million values, so guesses are few.
        "TWO_STEP_RATE_LIMIT": os.environ.get("TWO_STEP_RATE_LIMIT", "5 per minute;20 per hour"),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which has its own timeouts
        # Attempts each person has at each quiz; a leader can give someone more.
        "QUIZ_ATTEMPTS_ALLOWED": int(os.environ.get("QUIZ_ATTEMPTS_ALLOWED", "3")),
        # The folder holding modules/ and quizzes/.
        "CONTENT_ROOT": content_root(),
        # Evidence files people attach to their external CPD: outside the web root, never served statically.
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR") or str(INSTANCE_DIR / "evidence"),
        # A leader's zip of up to this many staff certificates is made while they wait; a bigger one
        # by `flask certificates work` in the background (app/records/certificate_bundles.py).
        "CERTIFICATE_ZIP_IN_REQUEST_LIMIT": int(os.environ.get("CERTIFICATE_ZIP_IN_REQUEST_LIMIT", "20")),
        # The ledger's signed checkpoints (app/records/checkpoints.py): the folder they are written to,
        # apart from the database and ideally on a host its administrators cannot write to; the Ed25519
        # key that signs them (a file made by `flask ledger keygen`, or the key itself in the
        # environment); and, on a machine that only verifies, the public key alone.
        "LEDGER_CHECKPOINT_DIR": os.environ.get("LEDGER_CHECKPOINT_DIR") or str(INSTANCE_DIR / "ledger-checkpoints"),
        "LEDGER_SIGNING_KEY_FILE": os.environ.get("LEDGER_SIGNING_KEY_FILE") or None,
        "LEDGER_SIGNING_KEY": os.environ.get("LEDGER_SIGNING_KEY") or None,
        "LEDGER_VERIFY_KEY_FILE": os.environ.get("LEDGER_VERIFY_KEY_FILE") or None,
        # Signing in with Microsoft Entra ID or Google Workspace (OpenID Connect): this site's client
        # registration with each. A provider without both is not configured, and no school can use it.
        # The metadata URLs are the providers' own unless set (the tests and `make oidc-demo` point them
        # at a test provider on 127.0.0.1).
        "MICROSOFT_CLIENT_ID": (os.environ.get("MICROSOFT_CLIENT_ID") or "").strip() or None,
        "MICROSOFT_CLIENT_SECRET": os.environ.get("MICROSOFT_CLIENT_SECRET") or None,
        "MICROSOFT_METADATA_URL": os.environ.get("MICROSOFT_METADATA_URL")
        or "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
        "GOOGLE_CLIENT_ID": (os.environ.get("GOOGLE_CLIENT_ID") or "").strip() or None,
        "GOOGLE_CLIENT_SECRET": os.environ.get("GOOGLE_CLIENT_SECRET") or None,
        "GOOGLE_METADATA_URL": os.environ.get("GOOGLE_METADATA_URL")
        or "https://accounts.google.com/.well-known/openid-configuration",
        # The learning record store `flask xapi push` sends xAPI statements to; unset, nothing is sent.
        "LRS_URL": (os.environ.get("LRS_URL") or "").strip() or None,
        "LRS_USERNAME": os.environ.get("LRS_USERNAME", ""),
        "LRS_PASSWORD": os.environ.get("LRS_PASSWORD", ""),
        # Open Badges are signed with these Ed25519 keys (a JSON Web Key Set, inline or in a file; see
        # app/platform/credential_keys.py). Unset, no badges are issued.
        "BADGE_SIGNING_KEYS": os.environ.get("BADGE_SIGNING_KEYS") or None,
        "BADGE_SIGNING_KEYS_FILE": os.environ.get("BADGE_SIGNING_KEYS_FILE") or None,
        # How many schools' worked-out training dashboards each server process keeps
        # (app/leadership/snapshots.py); 0 works every one out on every visit.
        # Each school's totals for an organisation's view, kept apart from the dashboards (a few hundred
        # bytes a school): enough for the largest local authorities several times over.
        "ORGANISATION_FIGURES_CACHE_SIZE": int(os.environ.get("ORGANISATION_FIGURES_CACHE_SIZE", "5000")),
        "TRAINING_SNAPSHOT_CACHE_SIZE": int(os.environ.get("TRAINING_SNAPSHOT_CACHE_SIZE", "256")),
        # Work each kept dashboard out again and fail loudly if it differs (the tests switch this on).
        "TRAINING_SNAPSHOT_VERIFY": _flag("TRAINING_SNAPSHOT_VERIFY", False),
        # No request body may be larger (evidence files are at most 5 MB; their routes check that).
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }
    config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
    # When Redis stops answering, each process goes on counting the same limits in its own memory
    # rather than refusing every sign-in: see "When things fail" in docs/operations.md. A Redis that
    # hangs is given up on within a second, so sign-in never waits long for it.
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    if overrides:
        config.update(overrides)
    check_config(config)
    return config


def check_config(config: dict) -> None:
    """Refuse unsafe production settings, saying what to change."""
    if not config["PRODUCTION"]:
        return
    key = config.get("SECRET_KEY")
    if not key or key == DEVELOPMENT_SECRET_KEY:
        raise ConfigurationError(
            "SEND_READY_ENV is 'production' but SECRET_KEY is missing or is the development default. "
            "Set SECRET_KEY to a long random value, for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    if len(key) < 32:
        raise ConfigurationError("SECRET_KEY is too short for production: use at least 32 random characters.")
