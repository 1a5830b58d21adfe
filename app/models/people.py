"""People, and the roles they hold in schools and organisations."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    false,
    or_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow
from app.models.schools import Organisation, School


class Role(enum.StrEnum):
    TEACHING_ASSISTANT = "teaching_assistant"
    TEACHER = "teacher"
    SENCO = "senco"
    HEADTEACHER = "headteacher"
    GOVERNOR = "governor"
    SEND_GOVERNOR = "send_governor"
    SCHOOL_ADMIN = "school_admin"
    LA_OFFICER = "la_officer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_organisation_role(self) -> bool:
        return self is Role.LA_OFFICER


ROLE_LABELS = {
    Role.TEACHING_ASSISTANT: "Teaching assistant",
    Role.TEACHER: "Teacher",
    Role.SENCO: "SENCO",
    Role.HEADTEACHER: "Headteacher",
    Role.GOVERNOR: "Governor",
    Role.SEND_GOVERNOR: "SEND governor",
    Role.SCHOOL_ADMIN: "School administrator",
    Role.LA_OFFICER: "Local authority or trust officer",
}

SCHOOL_ROLES = [role for role in Role if not role.is_organisation_role]
# The roles on a school's governing board.
GOVERNOR_ROLES = frozenset({Role.GOVERNOR, Role.SEND_GOVERNOR})


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so that sign-in and invitations match however the address is typed.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Empty until the person accepts their invitation and chooses a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session cookie: changing it ends all of the person's sessions at once
    # (sign-out, deactivation, a new password), which signed cookies cannot do on their own.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-step sign-in: the authenticator's shared secret (base32), set once the person has proved a
    # code from it; the last time-step used, so that a code seen over someone's shoulder is not reusable.
    two_step_secret: Mapped[str | None] = mapped_column(String(64))
    two_step_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    two_step_last_counter: Mapped[int | None] = mapped_column(Integer)
    # A SHA-256 of the secret in the address of the person's training calendar (app/learning/calendar_feed.py);
    # the secret itself is shown to them once and never stored.
    calendar_feed_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the person's name and email were replaced by a pseudonym (erasure or retention).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", order_by="Membership.id", foreign_keys="Membership.user_id"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def has_two_step(self) -> bool:
        return self.two_step_enabled_at is not None and self.two_step_secret is not None


class Membership(db.Model):
    """One role a person holds at one school, or (for la_officer) at one organisation, for a period."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (organisation_id IS NULL)", name="school_or_organisation"),
        CheckConstraint(
            "(role = 'la_officer') = (organisation_id IS NOT NULL)", name="organisation_role_matches_scope"
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # A governor's term of office, and whether they chair the board (governor roles only).
    term_started_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    school: Mapped[School | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    # One rule for "holds the role on this day", in Python (`membership.is_current(today)`) and in SQL
    # (`.where(Membership.is_current(today))`).
    @hybrid_method
    def is_current(self, today: date) -> bool:
        return self.started_on <= today and (self.ended_on is None or self.ended_on >= today)

    @is_current.inplace.expression
    @classmethod
    def _is_current_expression(cls, today: date) -> ColumnElement[bool]:
        return and_(cls.started_on <= today, or_(cls.ended_on.is_(None), cls.ended_on >= today))


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # The school took the invitation back before it was answered.
    WITHDRAWN = "withdrawn"


class MembershipInvitation(db.Model):
    """A school's offer of a role to a person. It becomes a membership only when the person accepts.

    Until then the school knows only what it typed (the name and the address), never whether the
    address already had an account, and sees nothing of the person's records. One row per role; a
    person accepts or declines a school's pending invitations together.
    """

    __tablename__ = "membership_invitation"
    __table_args__ = (
        CheckConstraint("role <> 'la_officer'", name="school_role_only"),
        # Inviting twice (a double click, two tabs, a file imported again) leaves one pending offer.
        Index(
            "uq_membership_invitation_pending",
            "school_id",
            "user_id",
            "role",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    started_on: Mapped[date] = mapped_column(Date)
    # The name the school typed: what the school sees until the person joins (their own name may differ).
    invited_name: Mapped[str] = mapped_column(String(200))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus, "status"), default=InvitationStatus.PENDING
    )
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The role it became, once accepted.
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("membership.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    school: Mapped[School] = relationship()


class TeacherStatusRecord(db.Model):
    """What one school has checked and recorded of a person's standing as a teacher: qualified teacher
    status (QTS), statutory induction, and (for a SENCO) earlier time in the role. The rules on who may
    be SENCO and who must gain the SENCO qualification read them (SEND Regulations 2014, regulation 49).

    Each school vouches for its own check (schools look these up for the people they employ), so one
    school's record never changes what another school's statutory checks say. No record: not checked.
    """

    __tablename__ = "teacher_status_record"
    __table_args__ = (UniqueConstraint("school_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    qualified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Statutory induction completed, or not required of them (None: not recorded). With qualified
    # teacher status, what a SENCO who is not the headteacher must have (regulation 49(2)).
    induction_completed: Mapped[bool | None] = mapped_column(Boolean)
    # Whether, before becoming a SENCO at this school, they had been a SENCO (at any relevant school) for
    # more than 12 months in total (None: not recorded). If so, the 3-year rule of 49(4) does not apply.
    senco_over_12_months_before: Mapped[bool | None] = mapped_column(Boolean)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a password)


class AccountToken(db.Model):
    """A single-use, expiring link sent by email. Only a hash of the secret is stored."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The school whose invitation an invitation link answers: choosing a password through it accepts
    # that school's pending invitations. Another school's invitation sent meanwhile keeps its own link.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))

    user: Mapped[User] = relationship()
    school: Mapped[School | None] = relationship()
