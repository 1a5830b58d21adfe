"""Open Badges 3.0: a module completion as an OpenBadgeCredential (a W3C Verifiable Credential 2.0),
signed with Ed25519 as a JWT (VC-JOSE-COSE, the credential itself as the claims), its revocation
through a Bitstring Status List, and checking a credential someone hands us.

- The recipient is a salted SHA-256 hash of their email (`IdentityObject`, `hashed: true`), so the
  credential never holds the email; the salt is in the credential, as the spec has it, so someone
  who knows the address can check it is theirs.
- The issuer is the school, as a Profile this deployment hosts (`/badges/issuers/<id>`): this
  deployment is the technical issuer, signing with its keys, published at `/badges/jwks.json`.
- `validUntil` is the end of the renewal date where the school requires the module to be renewed.
- A badge is issued the first time it is asked for (one per completion, whatever the retries): a
  completion from before badges were switched on gets one too.
- Revocation is not a flag on the badge: a badge is revoked when its completion's certificate was
  voided in the ledger, so voiding a certificate revokes its badge with nothing else to remember.
  The status list is worked out from the ledger whenever it is asked for.
"""

from __future__ import annotations

import base64
import enum
import gzip
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.content import catalogue
from app.content.model import Catalogue, Module
from app.extensions import db
from app.learning.certificate_status import renewal_date
from app.models import LedgerEntry, OpenBadge, School, User
from app.models.base import utcnow
from app.platform import (
    ACCEPTED_ALGORITHMS,
    SIGNING_ALGORITHM,
    BadKeys,
    KeysNotConfigured,
    badge_keys,
    badges_enabled,
    eddsa_allowed,
    public_url,
)
from app.records import EntryKind, local_date

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
# The smallest list the Bitstring Status List allows (16 KB), so one badge's place says little.
STATUS_LIST_SIZE = 131_072
JWT_TYPE = "vc+jwt"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---- the credential -------------------------------------------------------------------------------


def recipient_identity(email: str, salt: str) -> dict[str, Any]:
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def issuer_profile(school: School) -> dict[str, Any]:
    return {
        # The school's URN: public, and the same whichever database the school is in.
        "id": public_url("badges.issuer_profile", urn=school.urn),
        "type": ["Profile"],
        "name": school.name,
        "description": f"{school.name}, issuing through SEND Ready, which signs its badges.",
    }


def achievement(catalogue: Catalogue, module: Module) -> dict[str, Any]:
    quiz = catalogue.quizzes.get(module.id)
    criteria = "Read every page of the module"
    criteria += f" and passed its quiz with {quiz.pass_mark}% or more." if quiz else "."
    if module.outcomes:
        criteria += " By the end of it they can:\n" + "\n".join(f"- {outcome}" for outcome in module.outcomes)
    alignment = []
    refs = dict.fromkeys(ref for page in module.pages for ref in page.sources)
    for ref in refs:
        section = catalogue.sections.get(ref)
        document = catalogue.documents.get(section.document_id) if section else None
        if section is None or document is None or not document.is_guidance or not document.url:
            continue
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": catalogue.section_label(ref),
                "targetUrl": document.url,
                "targetFramework": document.title,
                "targetCode": section.id,
            }
        )
    result: dict[str, Any] = {
        "id": public_url("badges.achievement", module_id=module.id),
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": module.title,
        "description": f"{module.summary} About {module.minutes} minutes of continuing professional development.",
        "criteria": {"narrative": criteria},
        "creditsAvailable": round(module.minutes / 60, 2),
        "inLanguage": "en-GB",
        "version": module.version,
        "tag": ["SEND", "CPD"],
    }
    if alignment:
        result["alignment"] = alignment
    return result


def status_place(badge_id: int) -> tuple[int, int]:
    """(list number, index in it) of a badge: ids are never reused, so neither are places."""
    return badge_id // STATUS_LIST_SIZE + 1, badge_id % STATUS_LIST_SIZE


def credential_for(
    *, badge: OpenBadge, entry: LedgerEntry, module: Module, catalogue: Catalogue, school: School, email: str, salt: str
) -> dict[str, Any]:
    list_number, index = status_place(badge.id)
    list_url = public_url("badges.status_list", list_number=list_number)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{badge.credential_uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": module.title,
        "description": f"Completed the SEND Ready module “{module.title}” at {school.name}.",
        "issuer": issuer_profile(school),
        "validFrom": _iso(entry.occurred_at),
        "awardedDate": _iso(entry.occurred_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [recipient_identity(email, salt)],
            "achievement": achievement(catalogue, module),
            "creditsEarned": round(module.minutes / 60, 2),
        },
        "credentialStatus": {
            "id": f"{list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": list_url,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if badge.valid_until is not None:
        credential["validUntil"] = _iso(badge.valid_until)
    return credential


def sign(claims: dict[str, Any]) -> tuple[str, str]:
    """The claims as a compact JWS signed with the current key, and that key's id."""
    keys = badge_keys()
    header = {"alg": SIGNING_ALGORITHM, "kid": keys.signing.kid, "typ": JWT_TYPE}
    with eddsa_allowed():
        return jwt.encode(header, claims, keys.signing, algorithms=[SIGNING_ALGORITHM]), keys.signing.kid


def _end_of(day: date) -> datetime:
    # Valid through the renewal day: until the start of the next, in UTC.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def issue_badge(*, catalogue: Catalogue, entry: LedgerEntry) -> OpenBadge:
    """The badge for a module completion, made the first time it is asked for. Flushes; the caller
    commits. Raises platform.KeysNotConfigured when badges are off."""
    existing = db.session.scalars(select(OpenBadge).where(OpenBadge.ledger_entry_id == entry.id)).first()
    if existing is not None:
        return existing
    if entry.kind != EntryKind.MODULE_COMPLETED.value or entry.school_id is None:
        raise ValueError("only a module completion at a school gives a badge")
    module = catalogue.modules[entry.subject_id]
    school = db.session.get(School, entry.school_id)
    person = db.session.get(User, entry.user_id)
    renew = renewal_date(catalogue, entry)
    badge = OpenBadge(
        ledger_entry_id=entry.id,
        user_id=entry.user_id,
        school_id=entry.school_id,
        credential_uuid=str(uuid.uuid4()),
        key_id="",
        issued_at=utcnow(),
        valid_until=_end_of(renew) if renew else None,
        signed_credential="",
    )
    try:
        with db.session.begin_nested():
            db.session.add(badge)
            db.session.flush()  # the id is the badge's place in the status list
    except IntegrityError:
        # Asked for twice at once: the other request's badge stands.
        return db.session.scalars(select(OpenBadge).where(OpenBadge.ledger_entry_id == entry.id)).one()
    credential = credential_for(
        badge=badge,
        entry=entry,
        module=module,
        catalogue=catalogue,
        school=school,
        email=person.email,
        salt=secrets.token_hex(16),
    )
    claims = dict(
        credential, iss=credential["issuer"]["id"], jti=credential["id"], iat=int(badge.issued_at.timestamp())
    )
    claims["nbf"] = int(entry.occurred_at.timestamp())
    if badge.valid_until is not None:
        claims["exp"] = int(badge.valid_until.timestamp())
    badge.signed_credential, badge.key_id = sign(claims)
    db.session.flush()
    return badge


def issue_on_completion(entry: LedgerEntry) -> OpenBadge | None:
    """Issue the badge as the module is completed, in the same transaction, when badges are on. A
    problem with the keys never stops the completion: it is logged, and the badge is issued the
    first time it is asked for once the keys are mended."""
    if not badges_enabled() or entry.school_id is None:
        return None
    national = catalogue()
    if entry.subject_id not in national.modules:
        # A school's own module has no public achievement page for verifiers to look up, so it gets
        # its certificate but no badge.
        return None
    try:
        return issue_badge(catalogue=national, entry=entry)
    except (BadKeys, KeysNotConfigured, OSError) as error:
        current_app.logger.error("Open Badge not issued for ledger entry %s: %s", entry.id, error)
        return None


def badge_for_module(user_id: int, module_id: str) -> OpenBadge | None:
    """The person's badge for their newest completion of the module that has one (one query)."""
    return db.session.scalars(
        select(OpenBadge)
        .join(LedgerEntry, LedgerEntry.id == OpenBadge.ledger_entry_id)
        .where(OpenBadge.user_id == user_id, LedgerEntry.subject_id == module_id)
        .order_by(LedgerEntry.id.desc())
        .limit(1)
    ).first()


def credential_of(badge: OpenBadge) -> dict[str, Any]:
    """The credential as issued, read from the signed JWT's claims (no check: we made it)."""
    payload = badge.signed_credential.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return {name: value for name, value in claims.items() if name not in ("iss", "jti", "iat", "nbf", "exp")}


# ---- revocation -----------------------------------------------------------------------------------


def voided_completion_ids(user_ids: set[int] | None = None) -> dict[int, datetime]:
    """Completion entry id -> when its certificate was voided."""
    query = select(LedgerEntry).where(LedgerEntry.kind == EntryKind.CERTIFICATE_VOIDED.value)
    if user_ids is not None:
        query = query.where(LedgerEntry.user_id.in_(user_ids))
    voided: dict[int, datetime] = {}
    for void in db.session.scalars(query):
        target = void.payload.get("refers_to_entry") if isinstance(void.payload, dict) else None
        if isinstance(target, int):
            voided.setdefault(target, void.recorded_at)
    return voided


def revoked_indexes(list_number: int) -> set[int]:
    first = (list_number - 1) * STATUS_LIST_SIZE
    voided = voided_completion_ids()
    if not voided:
        return set()
    rows = db.session.execute(
        select(OpenBadge.id).where(
            OpenBadge.ledger_entry_id.in_(voided), OpenBadge.id >= first, OpenBadge.id < first + STATUS_LIST_SIZE
        )
    )
    return {badge_id - first for (badge_id,) in rows}


def encoded_list(indexes: set[int]) -> str:
    """The Bitstring Status List's `encodedList`: index 0 is the first byte's most significant bit;
    GZIP-compressed, base64url without padding, with the multibase prefix "u"."""
    bits = bytearray(STATUS_LIST_SIZE // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def status_list_credential(list_number: int) -> dict[str, Any]:
    url = public_url("badges.status_list", list_number=list_number)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": public_url("badges.jwks"),
        "validFrom": _iso(utcnow()),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked_indexes(list_number)),
        },
    }


def signed_status_list(list_number: int) -> str:
    credential = status_list_credential(list_number)
    token, _kid = sign(dict(credential, iss=credential["issuer"], jti=credential["id"], iat=int(utcnow().timestamp())))
    return token


# ---- checking a credential ------------------------------------------------------------------------


class BadgeStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_OURS = "not_ours"
    NOT_VALID = "not_valid"  # ours in name, but changed, unreadable or not yet valid


@dataclass
class BadgeCheck:
    status: BadgeStatus
    reasons: list[str] = field(default_factory=list)
    badge: OpenBadge | None = None
    credential: dict[str, Any] | None = None
    school_name: str | None = None

    def _moment(self, name: str) -> datetime | None:
        value = (self.credential or {}).get(name)
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None

    @property
    def valid_from_on(self) -> date | None:
        moment = self._moment("validFrom")
        return local_date(moment) if moment else None

    @property
    def valid_until_on(self) -> date | None:
        """The last day it is valid (validUntil is the first moment it is not)."""
        moment = self._moment("validUntil")
        return local_date(moment - timedelta(seconds=1)) if moment else None


def _badge_by_credential_id(credential_id: Any) -> OpenBadge | None:
    if not isinstance(credential_id, str) or not credential_id.startswith("urn:uuid:"):
        return None
    try:
        wanted = str(uuid.UUID(credential_id.removeprefix("urn:uuid:")))
    except ValueError:
        return None
    return db.session.scalars(select(OpenBadge).where(OpenBadge.credential_uuid == wanted)).first()


def _standing(badge: OpenBadge, credential: dict[str, Any], reasons: list[str], now: datetime) -> BadgeCheck:
    """Revoked, expired or valid, for a credential that is ours and unchanged."""
    school_name = db.session.scalar(select(School.name).where(School.id == badge.school_id))
    voided = voided_completion_ids({badge.user_id}).get(badge.ledger_entry_id)
    if voided is not None:
        reasons.append(f"The school voided the certificate it was issued for on {voided:%-d %B %Y}, which revokes it.")
        return BadgeCheck(BadgeStatus.REVOKED, reasons, badge, credential, school_name)
    valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
    if valid_from > now:
        reasons.append(f"It is not valid until {valid_from:%-d %B %Y}.")
        return BadgeCheck(BadgeStatus.NOT_VALID, reasons, badge, credential, school_name)
    if credential.get("validUntil"):
        valid_until = datetime.fromisoformat(credential["validUntil"].replace("Z", "+00:00"))
        if valid_until <= now:
            reasons.append(
                f"It expired on {valid_until - timedelta(seconds=1):%-d %B %Y}: the school requires the module "
                "to be taken again."
            )
            return BadgeCheck(BadgeStatus.EXPIRED, reasons, badge, credential, school_name)
    reasons.append("It has not been revoked and has not expired.")
    return BadgeCheck(BadgeStatus.VALID, reasons, badge, credential, school_name)


def check_badge(text: str, *, now: datetime | None = None) -> BadgeCheck:
    """Say whether a credential (the signed JWT, or the JSON of one) is a valid badge of ours, and why."""
    now = now or utcnow()
    text = (text or "").strip()
    if text.startswith("{"):
        return _check_json(text, now)
    try:
        compact = jws.extract_compact(text.encode("ascii"))
    except (JoseError, UnicodeEncodeError, ValueError):
        return BadgeCheck(BadgeStatus.NOT_VALID, ["This is not a signed badge (a JWT) or a badge's JSON."])
    header = compact.protected
    keys = badge_keys()
    if header.get("kid") not in {key.kid for key in keys.published}:
        return BadgeCheck(
            BadgeStatus.NOT_OURS,
            ["It was not signed with any key SEND Ready publishes, so SEND Ready did not issue it."],
        )
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        return BadgeCheck(BadgeStatus.NOT_VALID, [f"It is signed with {header.get('alg')!r}, not Ed25519."])
    try:
        with eddsa_allowed():
            token = jwt.decode(text, keys.published, algorithms=ACCEPTED_ALGORITHMS)
    except JoseError:
        return BadgeCheck(
            BadgeStatus.NOT_VALID,
            ["Its signature does not match its content: it has been changed since SEND Ready signed it."],
        )
    claims = dict(token.claims)
    reasons = [f"Its signature checks with SEND Ready's published key {header['kid']}."]
    badge = _badge_by_credential_id(claims.get("id"))
    if badge is None:
        return BadgeCheck(BadgeStatus.NOT_OURS, [*reasons, "SEND Ready has no record of issuing it."])
    credential = {name: value for name, value in claims.items() if name not in ("iss", "jti", "iat", "nbf", "exp")}
    return _standing(badge, credential, reasons, now)


def _check_json(text: str, now: datetime) -> BadgeCheck:
    try:
        credential = json.loads(text)
    except ValueError:
        return BadgeCheck(BadgeStatus.NOT_VALID, ["This is not valid JSON."])
    if not isinstance(credential, dict):
        return BadgeCheck(BadgeStatus.NOT_VALID, ["This JSON is not a credential."])
    badge = _badge_by_credential_id(credential.get("id"))
    if badge is None:
        return BadgeCheck(BadgeStatus.NOT_OURS, ["SEND Ready has no record of issuing a badge with this id."])
    if credential != credential_of(badge):
        return BadgeCheck(
            BadgeStatus.NOT_VALID,
            ["It differs from the badge SEND Ready issued with this id: it has been changed."],
        )
    reasons = ["A JSON copy carries no signature: it matches, word for word, the badge SEND Ready issued and signed."]
    return _standing(badge, credential, reasons, now)


def badge_standing(badge: OpenBadge, *, now: datetime | None = None) -> BadgeCheck:
    """The badge's status as issued, for its public page."""
    return _standing(badge, credential_of(badge), [], now or utcnow())
