"""Who a Microsoft or Google account may sign in as, and the rules that keep it as safe as a password.

A provider account signs in as a SEND Ready person through a link stored by the provider's stable
subject (`sign_in_providers.ProviderAccount.subject`), never by email. A link is made only when the
provider says the email is verified (for Google, also that it belongs to the Google Workspace domain
it names), the email is the person's, its domain is one that a school the person has joined allows, and
that school has switched the provider on (for Microsoft, with the token's tenant as its tenant). An
invited person who has not joined yet may join and link in one step (`join_and_link`), after seeing the
invitation. No one is ever created here: an address with no account, or with no membership or
invitation at a school that allows it, is refused. A person links at most one account of each
provider, so a mailbox address given to someone new after the old one was renamed cannot take over
the account it used to belong to.

Every refusal raises `SignInRefused`, whose message is for the log only: people see one answer for
every failure, as with passwords.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import AuditAction, InvitationStatus, Membership, MembershipInvitation, Role, User
from app.models.base import utcnow
from app.people import accounts, joining, two_step
from app.people.models import SchoolSignIn, SignInIdentity, SignInProvider
from app.people.sign_in_providers import ProviderAccount
from app.permissions import ROLE_PERMISSIONS, Permission
from app.platform import record_event


class SignInRefused(Exception):
    """The provider account may not sign anyone in; the message says why, for the log."""


@dataclass(frozen=True)
class SignInAs:
    """The account signs in as this person; `school_ids` are their schools that allow it."""

    user: User
    school_ids: tuple[int, ...]
    newly_linked: bool = False


@dataclass(frozen=True)
class JoinFirst:
    """The person was invited by a school that allows the account, and has not joined it yet."""

    user: User
    school_id: int


def _not_ended(today: date):
    return (Membership.ended_on.is_(None)) | (Membership.ended_on >= today)


def _school_roles(user: User, today: date) -> dict[int, set[Role]]:
    rows = db.session.execute(
        select(Membership.school_id, Membership.role).where(
            Membership.user_id == user.id, Membership.school_id.is_not(None), _not_ended(today)
        )
    )
    roles: dict[int, set[Role]] = {}
    for school_id, role in rows:
        roles.setdefault(school_id, set()).add(role)
    return roles


def _settings(school_ids) -> dict[int, SchoolSignIn]:
    if not school_ids:
        return {}
    rows = db.session.scalars(select(SchoolSignIn).where(SchoolSignIn.school_id.in_(list(school_ids))))
    return {row.school_id: row for row in rows}


def _allows_provider(setting: SchoolSignIn | None, account: ProviderAccount) -> bool:
    """The school has the provider on (for Microsoft, with the account's tenant as its own)."""
    if setting is None or not setting.enabled(account.provider):
        return False
    if account.provider is SignInProvider.MICROSOFT:
        return account.tenant_id == (setting.microsoft_tenant_id or "").lower()
    return True


def _allows_address(setting: SchoolSignIn | None, account: ProviderAccount) -> bool:
    return _allows_provider(setting, account) and account.email_domain in setting.domains


def _email_trusted(account: ProviderAccount) -> bool:
    if not account.email_verified:
        return False
    if account.provider is SignInProvider.GOOGLE:
        # A Workspace account of that domain, not a consumer Google account made with the address.
        return account.hosted_domain == account.email_domain
    return True


def find_link(account: ProviderAccount) -> SignInIdentity | None:
    return db.session.scalars(
        select(SignInIdentity).where(
            SignInIdentity.provider == account.provider, SignInIdentity.subject == account.subject
        )
    ).first()


def resolve(account: ProviderAccount, today: date | None = None) -> SignInAs | JoinFirst:
    """Who the provider account signs in as, linking it first if it may be; raises SignInRefused."""
    today = today or date.today()
    identity = find_link(account)
    if identity is not None:
        user = identity.user
        if not user.active or user.erased_at is not None:
            raise SignInRefused("the linked account is switched off")
        roles = _school_roles(user, today)
        settings = _settings(roles)
        allowing = tuple(sorted(s for s in roles if _allows_provider(settings.get(s), account)))
        if not allowing:
            raise SignInRefused("no school of the person's allows this provider and tenant now")
        identity.email = account.email
        identity.last_used_at = utcnow()
        db.session.flush()
        return SignInAs(user, allowing)

    if not _email_trusted(account):
        raise SignInRefused("the provider does not vouch for the email address")
    user = accounts.find_user_by_email(account.email)
    if user is None or not user.active or user.erased_at is not None:
        raise SignInRefused("no account or invitation for the address")
    if db.session.scalar(
        select(SignInIdentity.id).where(SignInIdentity.user_id == user.id, SignInIdentity.provider == account.provider)
    ):
        raise SignInRefused("the person already linked another account of this provider")
    roles = _school_roles(user, today)
    settings = _settings(roles)
    allowing = tuple(sorted(s for s in roles if _allows_address(settings.get(s), account)))
    if allowing:
        link(user, account, school_id=allowing[0])
        return SignInAs(user, allowing, newly_linked=True)
    inviting = [item.school.id for item in joining.pending_for(user)]
    settings = _settings(inviting)
    for school_id in inviting:
        if _allows_address(settings.get(school_id), account):
            return JoinFirst(user, school_id)
    raise SignInRefused("no school the person joined or was invited to allows this address")


def link(user: User, account: ProviderAccount, *, school_id: int) -> SignInIdentity:
    """Store the link by the provider's subject, logged for the school whose settings allowed it."""
    identity = SignInIdentity(
        user_id=user.id,
        provider=account.provider,
        subject=account.subject,
        tenant_id=account.tenant_id,
        email=account.email,
        last_used_at=utcnow(),
    )
    db.session.add(identity)
    db.session.flush()
    record_event(
        AuditAction.SIGN_IN_ACCOUNT_LINKED,
        school_id=school_id,
        actor_id=user.id,
        subject_user_id=user.id,
        details={"provider": account.provider.value, "link": identity.id},
    )
    return identity


def join_and_link(user: User, account: ProviderAccount, school_id: int, today: date | None = None) -> SignInAs:
    """Accept the school's invitation and link the account, in one step; checked again as it happens
    (the invitation may have been withdrawn, or the settings changed, since the person was asked)."""
    today = today or date.today()
    setting = _settings([school_id]).get(school_id)
    pending = db.session.scalar(
        select(MembershipInvitation.id).where(
            MembershipInvitation.user_id == user.id,
            MembershipInvitation.school_id == school_id,
            MembershipInvitation.status == InvitationStatus.PENDING,
        )
    )
    if pending is None or not _allows_address(setting, account) or not _email_trusted(account):
        raise SignInRefused("the invitation or the school's settings changed before joining")
    if find_link(account) is not None or db.session.scalar(
        select(SignInIdentity.id).where(SignInIdentity.user_id == user.id, SignInIdentity.provider == account.provider)
    ):
        raise SignInRefused("linked meanwhile")
    joining.accept(user, school_id, today)
    link(user, account, school_id=school_id)
    return SignInAs(user, (school_id,), newly_linked=True)


# ---- the second step, and passwords -------------------------------------------------------------


def provider_mfa_counts(user: User, account: ProviderAccount, today: date | None = None) -> bool:
    """Whether the provider's multi-factor claim stands in for SEND Ready's own security code.

    Only when the provider says so (`amr` has "mfa"), and every school that could be asking for the
    second step agrees: each of the person's schools that allows this provider, and each school where
    they hold a role that must use two-step sign-in, has the provider on and trusts its claim. An
    officer's organisation role is no school's to vouch for, so it always needs the code.
    """
    if not account.multi_factor:
        return False
    today = today or date.today()
    organisation_leader = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.organisation_id.is_not(None), _not_ended(today)
        )
    )
    if organisation_leader is not None:
        return False
    roles = _school_roles(user, today)
    settings = _settings(roles)
    allowing = {s for s in roles if _allows_provider(settings.get(s), account)}
    leading = {s for s, held in roles.items() if held & two_step.REQUIRED_ROLES}
    asking = allowing | leading
    return bool(allowing) and all(
        _allows_provider(settings.get(s), account) and settings[s].trust_provider_mfa for s in asking
    )


@dataclass(frozen=True)
class PasswordRule:
    """Whether a correct password may sign the person in: `refused` when a school of theirs requires
    Microsoft or Google sign-in; `recovery_school_ids` when it does but the person manages those
    schools' sign-in settings, who then must also give SEND Ready's own security code."""

    refused: bool = False
    recovery_school_ids: tuple[int, ...] = field(default_factory=tuple)


MANAGES_SIGN_IN = frozenset(role for role, granted in ROLE_PERMISSIONS.items() if Permission.MANAGE_SIGN_IN in granted)


def password_rule(user: User, today: date | None = None) -> PasswordRule:
    """What a correct password may do for the person (see PasswordRule)."""
    today = today or date.today()
    roles = _school_roles(user, today)
    settings = _settings(roles)
    requiring = sorted(s for s in roles if settings.get(s) is not None and settings[s].provider_required)
    if not requiring:
        return PasswordRule()
    if all(roles[s] & MANAGES_SIGN_IN for s in requiring):
        return PasswordRule(recovery_school_ids=tuple(requiring))
    return PasswordRule(refused=True)


def record_recovery_sign_in(user: User, school_ids) -> None:
    """Log, in each school's audit log, a password sign-in by the recovery path."""
    for school_id in school_ids:
        record_event(
            AuditAction.PASSWORD_RECOVERY_SIGN_IN, school_id=school_id, actor_id=user.id, subject_user_id=user.id
        )


# ---- the person's linked accounts ---------------------------------------------------------------


def linked_accounts(user: User) -> list[SignInIdentity]:
    return list(
        db.session.scalars(
            select(SignInIdentity).where(SignInIdentity.user_id == user.id).order_by(SignInIdentity.provider)
        )
    )


def own_link_or_none(user: User, identity_id: int) -> SignInIdentity | None:
    identity = db.session.get(SignInIdentity, identity_id)
    return identity if identity is not None and identity.user_id == user.id else None


def remove_link(user: User, identity: SignInIdentity) -> None:
    """Unlink the account: it no longer signs in as the person (the account itself is the provider's)."""
    record_event(
        AuditAction.SIGN_IN_ACCOUNT_REMOVED,
        actor_id=user.id,
        subject_user_id=user.id,
        details={"provider": identity.provider.value, "link": identity.id},
    )
    db.session.delete(identity)
    db.session.flush()
