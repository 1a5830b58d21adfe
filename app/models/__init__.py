"""The shared data model: the tables more than one area reads (schools, people and their roles, the CPD
ledger, progress, requirements, the outbox, the audit log). A table that one area alone uses lives in
that area (app/self_assessment/models.py); `app.schema` imports every model,
so that Alembic and the app see the whole schema."""

from app.models.administration import (
    AUDIT_ACTION_LABELS,
    AuditAction,
    AuditEvent,
    RecoveryCode,
    RetentionPolicy,
    StaffImport,
)
from app.models.badges import OpenBadge
from app.models.certificate_bundles import CertificateBundle
from app.models.cpd import EVIDENCE_MAX_BYTES, EvidenceFile, EvidenceMediaType, RecordSharing
from app.models.leaders import Assignment, ReminderSent, RequirementChange, RequirementSetting
from app.models.ledger import LedgerEntry, LedgerIsAppendOnly, LedgerVerifiedChain
from app.models.outbox import OutboxMessage
from app.models.people import (
    GOVERNOR_ROLES,
    ROLE_LABELS,
    SCHOOL_ROLES,
    AccountToken,
    InvitationStatus,
    Membership,
    MembershipInvitation,
    Role,
    TeacherStatusRecord,
    TokenPurpose,
    User,
)
from app.models.progress import ModuleProgress, RequirementProgress
from app.models.quizzes import AttemptStatus, ExtraQuizAttempts, QuizAnswer, QuizAttempt
from app.models.schools import Organisation, OrganisationKind, School, SchoolPhase
from app.models.xapi import XapiErasure, XapiIdentity, XapiPushCursor

__all__ = [
    "AUDIT_ACTION_LABELS",
    "EVIDENCE_MAX_BYTES",
    "GOVERNOR_ROLES",
    "ROLE_LABELS",
    "SCHOOL_ROLES",
    "AccountToken",
    "Assignment",
    "AttemptStatus",
    "AuditAction",
    "AuditEvent",
    "CertificateBundle",
    "EvidenceFile",
    "EvidenceMediaType",
    "ExtraQuizAttempts",
    "InvitationStatus",
    "LedgerEntry",
    "LedgerIsAppendOnly",
    "LedgerVerifiedChain",
    "Membership",
    "MembershipInvitation",
    "ModuleProgress",
    "OpenBadge",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "QuizAnswer",
    "QuizAttempt",
    "RecordSharing",
    "RecoveryCode",
    "ReminderSent",
    "RequirementChange",
    "RequirementProgress",
    "RequirementSetting",
    "RetentionPolicy",
    "Role",
    "School",
    "SchoolPhase",
    "StaffImport",
    "TeacherStatusRecord",
    "TokenPurpose",
    "User",
    "XapiErasure",
    "XapiIdentity",
    "XapiPushCursor",
]
