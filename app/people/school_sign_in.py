"""A school's choice of how its people sign in: Microsoft or Google sign-in switched on, the email
domains and Microsoft tenant it allows, whether the provider's multi-factor sign-in counts as the
second step, and whether its people must sign in through a provider. Set by its headteacher or
administrator (`Permission.MANAGE_SIGN_IN`); every change is in the school's audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from sqlalchemy import select

from app.extensions import db
from app.models import AuditAction, School, User
from app.models.base import utcnow
from app.people.models import SchoolSignIn, SignInProvider
from app.people.sign_in_providers import TENANT_ID
from app.platform import record_event

# A domain name as people type it in an email address: labels of letters, digits and hyphens.
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_DOMAINS = 20


@dataclass(frozen=True)
class SignInChoices:
    microsoft_enabled: bool = False
    microsoft_tenant_id: str | None = None
    google_enabled: bool = False
    email_domains: tuple[str, ...] = ()
    trust_provider_mfa: bool = False
    provider_required: bool = False


def settings_of(school: School) -> SchoolSignIn | None:
    return db.session.scalars(select(SchoolSignIn).where(SchoolSignIn.school_id == school.id)).first()


def choices_of(school: School) -> SignInChoices:
    setting = settings_of(school)
    if setting is None:
        return SignInChoices()
    return SignInChoices(
        microsoft_enabled=setting.microsoft_enabled,
        microsoft_tenant_id=setting.microsoft_tenant_id,
        google_enabled=setting.google_enabled,
        email_domains=setting.domains,
        trust_provider_mfa=setting.trust_provider_mfa,
        provider_required=setting.provider_required,
    )


def enabled_providers(school: School) -> list[SignInProvider]:
    setting = settings_of(school)
    return setting.enabled_providers if setting is not None else []


def parse_domains(text: str) -> tuple[tuple[str, ...], str | None]:
    """The domains typed one a line (or separated by commas or spaces), and the first problem if any."""
    domains: list[str] = []
    for word in re.split(r"[\s,;]+", text or ""):
        domain = word.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN.match(domain):
            return (), f"Enter email domains like oakfield.sch.uk, one a line ({word[:60]} is not one)"
        if domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_DOMAINS:
        return (), f"Enter {MAX_DOMAINS} email domains or fewer"
    return tuple(domains), None


def normalise_tenant_id(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    return value or None


def problems(choices: SignInChoices, *, by: User) -> dict[str, str]:
    """What is wrong with the choices, field by field (empty when they can be saved)."""
    found: dict[str, str] = {}
    if choices.microsoft_tenant_id and not TENANT_ID.match(choices.microsoft_tenant_id):
        found["microsoft_tenant_id"] = (
            "Enter the tenant ID as Microsoft shows it, like 72f988bf-86f1-41af-91ab-2d7cd011db47"
        )
    elif choices.microsoft_enabled and not choices.microsoft_tenant_id:
        found["microsoft_tenant_id"] = "Enter your Microsoft tenant ID to switch on Microsoft sign-in"
    if (choices.microsoft_enabled or choices.google_enabled) and not choices.email_domains:
        found["email_domains"] = "Enter at least one email domain your staff's accounts use"
    if choices.provider_required:
        if not (choices.microsoft_enabled or choices.google_enabled):
            found["provider_required"] = "Switch on Microsoft or Google sign-in before you require it"
        elif not by.has_two_step:
            # The recovery path is a password and SEND Ready's own code: without the code set up, a
            # fault at the provider would lock the school out.
            found["provider_required"] = (
                "Set up two-step sign-in on your account first: it is how you sign in if Microsoft or Google fails"
            )
    return found


def change_settings(school: School, choices: SignInChoices, *, by: User) -> list[str]:
    """Save the school's choices (checked by `problems` first). Returns the names of what changed,
    which are logged; nothing changed, nothing is logged."""
    before = choices_of(school)
    changed = [f.name for f in fields(SignInChoices) if getattr(before, f.name) != getattr(choices, f.name)]
    if not changed:
        return []
    setting = settings_of(school)
    if setting is None:
        setting = SchoolSignIn(school_id=school.id)
        db.session.add(setting)
    setting.microsoft_enabled = choices.microsoft_enabled
    setting.microsoft_tenant_id = choices.microsoft_tenant_id
    setting.google_enabled = choices.google_enabled
    setting.email_domains = "\n".join(choices.email_domains)
    setting.trust_provider_mfa = choices.trust_provider_mfa
    setting.provider_required = choices.provider_required
    setting.updated_at = utcnow()
    db.session.flush()
    record_event(
        AuditAction.SIGN_IN_SETTINGS_CHANGED, school_id=school.id, actor_id=by.id, details={"changed": changed}
    )
    return changed
