"""Signing in with a school's Microsoft 365 or Google Workspace account: each school's settings, and the
provider accounts people have linked to their SEND Ready account. Only the people area reads them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import School, User
from app.models.base import UTCDateTime, enum_column, utcnow


class SignInProvider(enum.StrEnum):
    MICROSOFT = "microsoft"
    GOOGLE = "google"

    @property
    def label(self) -> str:
        return {SignInProvider.MICROSOFT: "Microsoft", SignInProvider.GOOGLE: "Google"}[self]


class SchoolSignIn(db.Model):
    """How a school's people may sign in, set by its headteacher or administrator. No row: passwords only."""

    __tablename__ = "school_sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), unique=True)
    microsoft_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The school's Microsoft Entra tenant (directory) id: a token from any other tenant is refused.
    microsoft_tenant_id: Mapped[str | None] = mapped_column(String(36))
    google_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The email domains whose provider accounts may sign in as the school's people, one a line.
    email_domains: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Whether the provider's own multi-factor sign-in (an `amr` claim of "mfa") stands in for SEND
    # Ready's two-step code for the school's leaders.
    trust_provider_mfa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether the school's people must sign in through a provider (passwords off for them, except
    # the recovery path for those who manage these settings).
    provider_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school: Mapped[School] = relationship()

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(line for line in (self.email_domains or "").split() if line)

    def enabled(self, provider: SignInProvider) -> bool:
        if provider is SignInProvider.MICROSOFT:
            return self.microsoft_enabled and bool(self.microsoft_tenant_id)
        return self.google_enabled

    @property
    def enabled_providers(self) -> list[SignInProvider]:
        return [provider for provider in SignInProvider if self.enabled(provider)]


class SignInIdentity(db.Model):
    """A provider account linked to a person, by the provider's stable subject, never by email.

    For Microsoft the subject is the tenant and object ids (`tid`/`oid`), which stay the same when a
    mailbox is renamed; for Google it is `sub`. A person links at most one account of each provider,
    so an address reused for someone else's new mailbox cannot be linked as a second one.
    """

    __tablename__ = "sign_in_identity"
    __table_args__ = (
        UniqueConstraint("provider", "subject"),
        UniqueConstraint("user_id", "provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    provider: Mapped[SignInProvider] = mapped_column(enum_column(SignInProvider, "provider"))
    subject: Mapped[str] = mapped_column(String(255))
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    # The account's email when it last signed in: shown to the person, never used to find them.
    email: Mapped[str] = mapped_column(String(320))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
