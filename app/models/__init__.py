"""Every model, imported here so that Alembic and the app see the whole schema."""

from app.models.ledger import LedgerEntry, LedgerIsAppendOnly
from app.models.outbox import OutboxMessage
from app.models.people import (
    ROLE_LABELS,
    SCHOOL_ROLES,
    AccountToken,
    Membership,
    Role,
    TokenPurpose,
    User,
)
from app.models.progress import ModuleProgress
from app.models.quizzes import AttemptStatus, ExtraQuizAttempts, QuizAnswer, QuizAttempt
from app.models.schools import Organisation, OrganisationKind, School, SchoolPhase

__all__ = [
    "ROLE_LABELS",
    "SCHOOL_ROLES",
    "AccountToken",
    "AttemptStatus",
    "ExtraQuizAttempts",
    "LedgerEntry",
    "LedgerIsAppendOnly",
    "Membership",
    "ModuleProgress",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "QuizAnswer",
    "QuizAttempt",
    "Role",
    "School",
    "SchoolPhase",
    "TokenPurpose",
    "User",
]
