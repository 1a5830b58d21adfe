"""Flask extensions, created unbound here and bound to the app in create_app()."""

import logging

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep migrations reproducible on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Counters live in Redis when REDIS_URL is set, so every worker process shares them.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


class RateLimitStorageAlarm(logging.Filter):
    """Makes Flask-Limiter's notes that Redis went away, or came back, loud: ERROR, and saying what it means.

    While Redis is away each worker process counts sign-in attempts on its own (the in-memory fallback,
    app/config.py), so someone guessing passwords gets the limit once per process, not once in all.
    """

    FELL_BACK = "falling back to in-memory storage"
    RECOVERED = "Rate limit storage recovered"

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.FELL_BACK in message:
            record.levelno, record.levelname = logging.ERROR, "ERROR"
            record.msg = (
                "RATE LIMITS DEGRADED: Redis (RATELIMIT_STORAGE_URI) is not answering. Each worker process now "
                "counts sign-in and other attempts on its own, so the limits are per process until Redis is back."
            )
            record.args = ()
        elif self.RECOVERED in message:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "RATE LIMITS RESTORED: Redis answers again; attempts are counted across all processes."
            record.args = ()
        return True


limiter.logger.addFilter(RateLimitStorageAlarm())
