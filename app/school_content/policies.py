"""Policies a school's staff must read and acknowledge.

A policy (the SEND policy, the SEN information report, the accessibility plan, or any title) names
the roles whose holders must read it and the day by which. Each version is published whole: a PDF,
stored like evidence files under a random name and checked to be a PDF, or Markdown, shown through the
same sanitiser as the school's modules. Its SHA-256 hash is what an acknowledgement names, so an
acknowledgement on the ledger says exactly which text the person read, and a new version asks again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import String, cast, func, literal, select

from app.extensions import db
from app.models import LedgerEntry, Membership, Role, User
from app.platform import record_event
from app.records import EntryKind, append_entry
from app.school_content.models import SchoolPolicy, SchoolPolicyVersion

POLICY_MAX_BYTES = 5 * 1024 * 1024
POLICY_MAX_MARKDOWN = 60_000
# The words a person confirms; kept with the acknowledgement on the ledger.
STATEMENT = "I have read and understood {title}"


class PolicyRefused(ValueError):
    """An upload or text that cannot be published; nothing was stored. The message is for the person."""


@dataclass(frozen=True)
class PolicyContent:
    markdown: str | None = None
    pdf: bytes | None = None
    file_name: str | None = None

    @property
    def content_hash(self) -> str:
        data = self.pdf if self.pdf is not None else (self.markdown or "").encode()
        return hashlib.sha256(data).hexdigest()


def read_pdf_upload(stream, filename: str | None) -> PolicyContent:
    """Read an upload (at most one byte past the limit) and check, from its content, that it is a PDF."""
    data = stream.read(POLICY_MAX_BYTES + 1)
    if len(data) > POLICY_MAX_BYTES:
        raise PolicyRefused("The PDF must be 5 MB or smaller")
    if not data:
        raise PolicyRefused("The selected file is empty")
    # A PDF starts with its header and ends with an end-of-file marker (a few bytes of whitespace may follow).
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise PolicyRefused("The selected file must be a PDF")
    name = re.sub(r"[^\w.\- ()]+", "_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip() or "policy.pdf"
    return PolicyContent(pdf=data, file_name=name[:200])


def markdown_content(text: str) -> PolicyContent:
    text = (text or "").strip()
    if not text:
        raise PolicyRefused("Enter the policy's text, or choose a PDF")
    if len(text) > POLICY_MAX_MARKDOWN:
        raise PolicyRefused(f"The policy's text must be {POLICY_MAX_MARKDOWN:,} characters or fewer")
    return PolicyContent(markdown=text)


def policy_root() -> Path:
    return (Path(current_app.config["EVIDENCE_DIR"]) / "school-policies").resolve()


def policy_file(version: SchoolPolicyVersion) -> bytes | None:
    """The PDF's bytes if they are there and still match the version's hash; None otherwise."""
    if version.stored_name is None:
        return None
    root = policy_root()
    path = (root / version.stored_name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    data = path.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == version.content_hash else None


def create(*, school_id: int, created_by_id: int, title: str, roles: list[str], read_by: date) -> SchoolPolicy:
    policy = SchoolPolicy(
        school_id=school_id, created_by_id=created_by_id, title=title.strip(), roles=list(roles), read_by=read_by
    )
    db.session.add(policy)
    db.session.flush()
    return policy


def update(policy: SchoolPolicy, *, title: str, roles: list[str], read_by: date) -> None:
    policy.title, policy.roles, policy.read_by = title.strip(), list(roles), read_by
    db.session.flush()


def publish_version(policy: SchoolPolicy, content: PolicyContent, published_by_id: int) -> SchoolPolicyVersion:
    """A new version, unless it is the same as the current one (then that one is returned)."""
    current = policy.current_version
    if current is not None and current.content_hash == content.content_hash:
        return current
    stored_name = None
    path = None
    if content.pdf is not None:
        stored_name = f"{policy.school_id}/{secrets.token_hex(16)}.pdf"
        path = policy_root() / stored_name
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(path, "xb") as out:
            out.write(content.pdf)
    version = SchoolPolicyVersion(
        policy=policy,
        number=(current.number + 1) if current else 1,
        markdown=content.markdown,
        stored_name=stored_name,
        file_name=content.file_name,
        content_hash=content.content_hash,
        published_by_id=published_by_id,
    )
    try:
        db.session.add(version)
        db.session.flush()
    except Exception:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    record_event(
        "school_policy_published",
        school_id=policy.school_id,
        actor_id=published_by_id,
        details={"policy_id": policy.id, "version": version.number},
    )
    return version


def policies_of(school_id: int) -> list[SchoolPolicy]:
    return list(
        db.session.scalars(select(SchoolPolicy).where(SchoolPolicy.school_id == school_id).order_by(SchoolPolicy.id))
    )


def policy_at(school_id: int, policy_id: int) -> SchoolPolicy | None:
    policy = db.session.get(SchoolPolicy, policy_id)
    if policy is None or policy.school_id != school_id:
        return None
    return policy


def subject_of(policy: SchoolPolicy) -> str:
    # The same text is built in SQL in `acknowledgements`.
    return f"school-policy-{policy.id}"


def acknowledge(*, user_id: int, policy: SchoolPolicy, version: SchoolPolicyVersion) -> LedgerEntry:
    """Append the acknowledgement (once per person and version, however often it is sent)."""
    return append_entry(
        user_id=user_id,
        school_id=policy.school_id,
        kind=EntryKind.POLICY_ACKNOWLEDGED,
        subject_id=subject_of(policy),
        subject_version=version.content_hash,
        payload={
            "title": policy.title,
            "version": version.number,
            "statement": STATEMENT.format(title=policy.title),
        },
        recorded_by_id=user_id,
        dedupe_key=f"policy_acknowledged:{policy.id}:{version.content_hash}",
    )


def _current_versions(school_id: int) -> list[tuple[SchoolPolicy, SchoolPolicyVersion]]:
    """Each of the school's published policies with its current version. One query."""
    latest = (
        select(SchoolPolicyVersion.policy_id, func.max(SchoolPolicyVersion.number).label("number"))
        .group_by(SchoolPolicyVersion.policy_id)
        .subquery()
    )
    rows = db.session.execute(
        select(SchoolPolicy, SchoolPolicyVersion)
        .join(SchoolPolicyVersion, SchoolPolicyVersion.policy_id == SchoolPolicy.id)
        .join(latest, (latest.c.policy_id == SchoolPolicy.id) & (latest.c.number == SchoolPolicyVersion.number))
        .where(SchoolPolicy.school_id == school_id)
        .order_by(SchoolPolicy.read_by, SchoolPolicy.id)
    )
    return [(policy, version) for policy, version in rows]


def _acknowledged(user_ids: list[int], subjects: list[str]) -> set[tuple[int, str, str]]:
    """(person, subject, version hash) for every acknowledgement among these. One query."""
    if not user_ids or not subjects:
        return set()
    rows = db.session.execute(
        select(LedgerEntry.user_id, LedgerEntry.subject_id, LedgerEntry.subject_version).where(
            LedgerEntry.kind == EntryKind.POLICY_ACKNOWLEDGED.value,
            LedgerEntry.user_id.in_(user_ids),
            LedgerEntry.subject_id.in_(subjects),
        )
    )
    return {(user_id, subject, version) for user_id, subject, version in rows}


@dataclass(frozen=True)
class PolicyToRead:
    policy: SchoolPolicy
    version: SchoolPolicyVersion
    acknowledged: bool

    @property
    def overdue(self) -> bool:
        return not self.acknowledged and self.policy.read_by < date.today()


def policies_for_person(user_id: int, school_id: int, roles: frozenset[Role] | set[Role]) -> list[PolicyToRead]:
    """The published policies the person's roles at the school must read, and whether they have
    acknowledged each one's current version. Two queries at most."""
    mine = {role.value for role in roles}
    current = [(policy, version) for policy, version in _current_versions(school_id) if mine & set(policy.roles)]
    done = _acknowledged([user_id], [subject_of(policy) for policy, _ in current])
    return [
        PolicyToRead(policy, version, (user_id, subject_of(policy), version.content_hash) in done)
        for policy, version in current
    ]


@dataclass(frozen=True)
class PersonAcknowledgement:
    user_id: int
    name: str
    acknowledged: bool


@dataclass(frozen=True)
class PolicyAcknowledgements:
    policy: SchoolPolicy
    version: SchoolPolicyVersion
    people: list[PersonAcknowledgement]

    @property
    def acknowledged_count(self) -> int:
        return sum(person.acknowledged for person in self.people)


def acknowledgements(school_id: int, today: date | None = None) -> list[PolicyAcknowledgements]:
    """For each published policy, everyone at the school who must read it and whether they have
    acknowledged its current version. One query, however many policies and people (a row per policy
    and current role), so that the dashboard and the board's report stay within their query budget."""
    today = today or date.today()
    latest = (
        select(SchoolPolicyVersion.policy_id, func.max(SchoolPolicyVersion.number).label("number"))
        .group_by(SchoolPolicyVersion.policy_id)
        .subquery()
    )
    subject = literal("school-policy-") + cast(SchoolPolicy.id, String)
    rows = db.session.execute(
        select(SchoolPolicy, SchoolPolicyVersion, Membership.role, User.id, User.name, User.active, LedgerEntry.id)
        .join(SchoolPolicyVersion, SchoolPolicyVersion.policy_id == SchoolPolicy.id)
        .join(latest, (latest.c.policy_id == SchoolPolicy.id) & (latest.c.number == SchoolPolicyVersion.number))
        .outerjoin(Membership, (Membership.school_id == SchoolPolicy.school_id) & Membership.is_current(today))
        .outerjoin(User, User.id == Membership.user_id)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.user_id == User.id)
            & (LedgerEntry.kind == EntryKind.POLICY_ACKNOWLEDGED.value)
            & (LedgerEntry.subject_id == subject)
            & (LedgerEntry.subject_version == SchoolPolicyVersion.content_hash),
        )
        .where(SchoolPolicy.school_id == school_id)
        .order_by(SchoolPolicy.read_by, SchoolPolicy.id)
    )
    found: dict[int, tuple[SchoolPolicy, SchoolPolicyVersion, dict[int, PersonAcknowledgement]]] = {}
    for policy, version, role, user_id, name, active, acknowledgement_id in rows:
        _, _, people = found.setdefault(policy.id, (policy, version, {}))
        if user_id is None or not active or role.value not in policy.roles:
            continue
        done = acknowledgement_id is not None or (user_id in people and people[user_id].acknowledged)
        people[user_id] = PersonAcknowledgement(user_id, name, done)
    return [
        PolicyAcknowledgements(policy, version, sorted(people.values(), key=lambda row: (row.name, row.user_id)))
        for policy, version, people in found.values()
    ]
