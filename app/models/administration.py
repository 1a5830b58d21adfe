"""School administration and data protection: the audit log, retention policies, staff imports waiting
to be applied, and two-step sign-in recovery codes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    """Everything the audit log records. Details hold ids and counts, never names or emails, so that
    erasing a person's details also removes them from the log."""

    PERSON_INVITED = "person_invited"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_DECLINED = "invitation_declined"
    INVITATION_WITHDRAWN = "invitation_withdrawn"
    RECORD_SHARED = "record_shared"
    RECORD_SHARING_STOPPED = "record_sharing_stopped"
    ROLES_CHANGED = "roles_changed"
    START_DATE_CHANGED = "start_date_changed"
    QUALIFIED_TEACHER_CHANGED = "qualified_teacher_changed"
    LEAVER_MARKED = "leaver_marked"
    REJOINED = "rejoined"
    GOVERNANCE_CHANGED = "governance_changed"
    STAFF_IMPORTED = "staff_imported"
    DATA_EXPORTED = "data_exported"
    PERSON_ERASED = "person_erased"
    RETENTION_POLICY_CHANGED = "retention_policy_changed"
    TWO_STEP_SET_UP = "two_step_set_up"
    TWO_STEP_TURNED_OFF = "two_step_turned_off"
    RECOVERY_CODES_REPLACED = "recovery_codes_replaced"
    SIGN_IN_SETTINGS_CHANGED = "sign_in_settings_changed"
    SIGN_IN_ACCOUNT_LINKED = "sign_in_account_linked"
    SIGN_IN_ACCOUNT_REMOVED = "sign_in_account_removed"
    PASSWORD_RECOVERY_SIGN_IN = "password_recovery_sign_in"  # noqa: S105 (an event, not a password)
    SCHOOL_MODULE_CREATED = "school_module_created"
    SCHOOL_MODULE_PUBLISHED = "school_module_published"
    SCHOOL_POLICY_PUBLISHED = "school_policy_published"

    @property
    def label(self) -> str:
        return AUDIT_ACTION_LABELS[self]


AUDIT_ACTION_LABELS = {
    AuditAction.PERSON_INVITED: "Invited",
    AuditAction.INVITATION_ACCEPTED: "Accepted an invitation",
    AuditAction.INVITATION_DECLINED: "Declined an invitation",
    AuditAction.INVITATION_WITHDRAWN: "Invitation withdrawn",
    AuditAction.RECORD_SHARED: "Shared their CPD record from elsewhere",
    AuditAction.RECORD_SHARING_STOPPED: "Stopped sharing their CPD record from elsewhere",
    AuditAction.ROLES_CHANGED: "Roles changed",
    AuditAction.START_DATE_CHANGED: "Start date changed",
    AuditAction.QUALIFIED_TEACHER_CHANGED: "Qualified teacher status, induction or earlier time as SENCO changed",
    AuditAction.LEAVER_MARKED: "Marked as a leaver",
    AuditAction.REJOINED: "Rejoined",
    AuditAction.GOVERNANCE_CHANGED: "Governor details changed",
    AuditAction.STAFF_IMPORTED: "Staff imported from a file",
    AuditAction.DATA_EXPORTED: "Personal data downloaded",
    AuditAction.PERSON_ERASED: "Personal details erased",
    AuditAction.RETENTION_POLICY_CHANGED: "Retention policy changed",
    AuditAction.TWO_STEP_SET_UP: "Two-step sign-in set up",
    AuditAction.TWO_STEP_TURNED_OFF: "Two-step sign-in turned off",
    AuditAction.RECOVERY_CODES_REPLACED: "Recovery codes replaced",
    AuditAction.SIGN_IN_SETTINGS_CHANGED: "Microsoft and Google sign-in settings changed",
    AuditAction.SIGN_IN_ACCOUNT_LINKED: "Microsoft or Google account linked",
    AuditAction.SIGN_IN_ACCOUNT_REMOVED: "Microsoft or Google account removed",
    AuditAction.PASSWORD_RECOVERY_SIGN_IN: "Signed in with a password while Microsoft or Google sign-in is required",
    AuditAction.SCHOOL_MODULE_CREATED: "School module started",
    AuditAction.SCHOOL_MODULE_PUBLISHED: "School module published",
    AuditAction.SCHOOL_POLICY_PUBLISHED: "School policy published",
}


class AuditEvent(db.Model):
    """Who did what to whom, and when. Appended to; the viewer and its CSV read it per school."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_school_id_occurred_at", "school_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for events outside any school (a person's own account settings, an officer's actions).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    # None when a command did it (an import or retention run from the command line).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetentionPolicy(db.Model):
    """How long a school keeps a leaver's personal details; `flask apply-retention` applies it."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), unique=True)
    erase_leavers_after_years: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffImport(db.Model):
    """An uploaded staff file between its preview and its application.

    The text is held only until the file is applied (then emptied) or abandoned (retention removes
    it after a day): it is a list of other people's details.
    """

    __tablename__ = "staff_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Names the import in the apply form; random, so that no one can guess another school's.
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255))
    csv_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A single-use code for signing in without the authenticator. Only a hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
