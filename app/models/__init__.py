"""Every model, imported here so that Alembic and the app see the whole schema."""

from app.models.administration import (
    AUDIT_ACTION_LABELS,
    AuditAction,
    AuditEvent,
    RecoveryCode,
    RetentionPolicy,
    StaffImport,
)
from app.models.cpd import EVIDENCE_MAX_BYTES, EvidenceFile, EvidenceMediaType, RecordSharing
from app.models.leaders import Assignment, ReminderSent, RequirementChange, RequirementSetting
from app.models.ledger import LedgerEntry, LedgerIsAppendOnly
from app.models.outbox import OutboxMessage
from app.models.people import (
    ROLE_LABELS,
    SCHOOL_ROLES,
    AccountToken,
    InvitationStatus,
    Membership,
    MembershipInvitation,
    QualifiedTeacherRecord,
    Role,
    TokenPurpose,
    User,
)
from app.models.progress import ModuleProgress
from app.models.quizzes import AttemptStatus, ExtraQuizAttempts, QuizAnswer, QuizAttempt
from app.models.schools import Organisation, OrganisationKind, School, SchoolPhase
from app.models.self_assessment import (
    ActionStatus,
    KeyQuestionReflection,
    RatingLevel,
    ResponseStatus,
    SelfAssessmentAction,
    SelfAssessmentAnswer,
    SelfAssessmentPosition,
    SelfAssessmentResponse,
    SelfAssessmentRound,
)
from app.models.xapi import XapiPushCursor

__all__ = [
    "AUDIT_ACTION_LABELS",
    "EVIDENCE_MAX_BYTES",
    "ROLE_LABELS",
    "SCHOOL_ROLES",
    "AccountToken",
    "ActionStatus",
    "Assignment",
    "AttemptStatus",
    "AuditAction",
    "AuditEvent",
    "EvidenceFile",
    "EvidenceMediaType",
    "ExtraQuizAttempts",
    "InvitationStatus",
    "KeyQuestionReflection",
    "LedgerEntry",
    "LedgerIsAppendOnly",
    "Membership",
    "MembershipInvitation",
    "ModuleProgress",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "QualifiedTeacherRecord",
    "QuizAnswer",
    "QuizAttempt",
    "RatingLevel",
    "RecordSharing",
    "RecoveryCode",
    "ReminderSent",
    "RequirementChange",
    "RequirementSetting",
    "ResponseStatus",
    "RetentionPolicy",
    "Role",
    "School",
    "SchoolPhase",
    "SelfAssessmentAction",
    "SelfAssessmentAnswer",
    "SelfAssessmentPosition",
    "SelfAssessmentResponse",
    "SelfAssessmentRound",
    "StaffImport",
    "TokenPurpose",
    "User",
    "XapiPushCursor",
]
