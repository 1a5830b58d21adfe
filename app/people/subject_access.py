"""The school's data protection duties: the audit log, subject access, erasure and retention.

Subject access is generic on purpose: every table with a foreign key to `user_account` is exported,
so that a table added later is covered without anyone remembering to add it here (a test walks the
schema to prove it). What "about the person" means for each table:

- a table with a `user_id` column (or a column named in OWNER_COLUMNS) holds rows that belong to
  someone: only the person's own rows are exported, with the rows of tables that hang off them (the
  answers of their quiz attempts, say). A ledger entry the person recorded for someone else belongs
  to that someone else and is left out; so is an audit event where the person acted on someone else.
- any other table that links to people (a self-assessment round led by the person, a file they
  uploaded) is exported where one of its links is the person, without following it further.

The person's own download has all of that. A school's download for the person has only what that
school holds about them, because a school is the controller of its own records and of no one
else's: see `_school_scope`.

Columns that hold secrets (password and token hashes, the authenticator secret) are never exported:
DENIED_COLUMNS names them, and any other column whose name looks like a secret is left out too
unless NOT_SECRET says why it is safe.

Erasure replaces the person's name and email with a pseudonym and removes their secrets. Ledger
entries stay as they are: their hashes cover ids, never names or emails, so every chain still verifies.
"""

from __future__ import annotations

import base64
import csv
import enum
import io
import json
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, exists, false, func, or_, select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    AccountToken,
    AuditAction,
    AuditEvent,
    Membership,
    OutboxMessage,
    RecoveryCode,
    RetentionPolicy,
    School,
    StaffImport,
    User,
)
from app.models.base import utcnow
from app.models.people import new_session_token

PERSON_TABLE = "user_account"

# Never exported, whoever asks: each with the reason.
DENIED_COLUMNS: dict[tuple[str, str], str] = {
    ("user_account", "password_hash"): "a hash of the password: a secret",
    ("user_account", "session_token"): "signs the person's session cookies: a secret",
    ("user_account", "two_step_secret"): "the authenticator app's shared secret",
    ("account_token", "token_hash"): "a hash of an emailed sign-in link: a secret",
    ("recovery_code", "code_hash"): "a hash of a two-step recovery code: a secret",
    ("staff_import", "csv_text"): "an uploaded staff file: other people's details",
    ("evidence_file", "storage_path"): "where the file is kept on the server: of no use to the person",
    ("outbox_message", "body_text_for_subject_access"): "exported as body_text (EXPORTED_FROM)",
}
# Columns exported with the value of another column of the same row: an email's text as the
# person's copy of it, with other people's names left out. Which words name someone else is known
# only when the email is written (email.queue_email), so the copy is written then; an email
# written before such copies were kept has none, and its text is left out.
EXPORTED_FROM: dict[str, dict[str, str]] = {
    "outbox_message": {"body_text": "body_text_for_subject_access"},
}
EXPORTED_FROM_MISSING = "(The text of this email is left out: it may name other people.)\n"
# Columns whose names look like secrets but are not, with the reason.
NOT_SECRET: dict[tuple[str, str], str] = {
    ("ledger_entry", "entry_hash"): "the ledger chain's own hash of the entry: proves it was not changed",
    ("ledger_entry", "previous_hash"): "the ledger chain's link to the entry before",
}
SECRET_LOOKING = re.compile(r"(hash|secret|token|password)", re.IGNORECASE)
# An invitation's or a password reset's link signs in whoever holds it until it is used or expires.
SIGN_IN_LINK = re.compile(r"\S*/(?:set|reset)-password/[A-Za-z0-9_-]+")
SIGN_IN_LINK_REMOVED = "[link removed: it signs in whoever holds it]"


def without_sign_in_links(text: str) -> str:
    """The text with every sign-in link replaced by a note: for any copy of an email shown or downloaded."""
    return SIGN_IN_LINK.sub(SIGN_IN_LINK_REMOVED, text)


# Text that can carry a secret inside it, with what takes it out.
SECRETS_IN_TEXT: dict[tuple[str, str], Callable[[str], str]] = {
    ("outbox_message", "body_text"): without_sign_in_links,
}

# Tables whose rows belong to the person named in a column other than `user_id`.
OWNER_COLUMNS: dict[str, str] = {
    # An event is about the person it was done to, not the person who did it.
    "audit_event": "subject_user_id",
}

# Tables whose rows, when they record no school, are the person's account rather than any school's
# record: a school's download leaves them out (the person's own download has them), with the reason.
# Other rows that record no school (the CPD ledger, training progress, evidence files) are the record
# that follows the person from school to school, which every school they work at is shown: a
# school's download keeps them.
ACCOUNT_ONLY: dict[str, str] = {
    "account_token": "the person's sign-in links (invitations, password resets): their account's, used by them alone",
    "recovery_code": "the person's two-step recovery codes: their account's, used by them alone",
    "key_question_reflection": "private reflection on a key question: the person's alone, never shown to a school",
    "audit_event": "an event recorded for no school (two-step sign-in changes, the person's own download) "
    "is about their account; no school's audit log shows it",
    "outbox_message": "an email sent for no school (a password reset) is about the person's account and "
    "may have held a sign-in link; a school's download has only the email sent for that school",
}

# What a school keeps when it has not chosen: six years after leaving, as for other staff records.
DEFAULT_ERASE_LEAVERS_AFTER_YEARS = 6
# An uploaded staff file that was never applied is removed after this long.
ABANDONED_IMPORT_AGE = timedelta(days=1)


# ---- the audit log ------------------------------------------------------------------------------


def record_event(
    action: AuditAction,
    *,
    school_id: int | None = None,
    actor_id: int | None = None,
    subject_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the audit log (flushed with the change it describes). Details: ids and counts only."""
    event = AuditEvent(
        action=AuditAction(action).value,
        school_id=school_id,
        actor_id=actor_id,
        subject_user_id=subject_user_id,
        details=dict(details or {}),
        occurred_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None
    subject_name: str | None
    subject_id: int | None

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.event.action).label
        except ValueError:
            return self.event.action

    @property
    def details_text(self) -> str:
        return describe_details(self.event.details or {})


def describe_details(details: dict[str, Any]) -> str:
    parts = []
    for key, value in sorted(details.items()):
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value) or "none"
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


AUDIT_PAGE_SIZE = 200
AUDIT_CSV_LIMIT = 50_000


def audit_events(
    school: School, *, action: str | None = None, person: str | None = None, limit: int = AUDIT_PAGE_SIZE
) -> list[AuditRow]:
    """The school's audit log, newest first, optionally for one action or people matching a name or email.

    One query, whatever the size of the log.
    """
    actor = aliased(User)
    subject = aliased(User)
    query = (
        select(AuditEvent, actor.name, subject.name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(subject, subject.id == AuditEvent.subject_user_id)
        .where(AuditEvent.school_id == school.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if person:
        text = person.strip().lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(text, autoescape=True)
                    for column in (actor.name, actor.email, subject.name, subject.email)
                )
            )
        )
    return [
        AuditRow(event, actor_name, subject_name, event.subject_user_id)
        for event, actor_name, subject_name in db.session.execute(query)
    ]


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (=, +, -, @ and so on) is made plain text with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def audit_csv(school: School, *, action: str | None = None, person: str | None = None) -> str:
    rows = audit_events(school, action=action, person=person, limit=AUDIT_CSV_LIMIT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when (UTC)", "who", "what", "about whom", "details"])
    for row in rows:
        writer.writerow(
            [
                row.event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
                spreadsheet_safe(row.actor_name or "SEND Ready (a command)"),
                row.action_label,
                spreadsheet_safe(row.subject_name or ""),
                spreadsheet_safe(row.details_text),
            ]
        )
    return out.getvalue()


# ---- subject access -----------------------------------------------------------------------------


def _person_columns(table: Table) -> list[Column]:
    return [
        column for column in table.columns if any(key.column.table.name == PERSON_TABLE for key in column.foreign_keys)
    ]


@dataclass(frozen=True)
class PersonLink:
    """How one table links to a person, and so which of its rows are exported."""

    table: Table
    columns: tuple[Column, ...]
    # The rows belong to the person (their own records), so tables hanging off them are followed.
    owned: bool


def person_links() -> list[PersonLink]:
    """Every table with a foreign key to a person, and the columns that say which rows are theirs."""
    links = []
    for table in db.metadata.sorted_tables:
        if table.name == PERSON_TABLE:
            continue
        columns = _person_columns(table)
        if not columns:
            continue
        if table.name in OWNER_COLUMNS:
            links.append(PersonLink(table, (table.columns[OWNER_COLUMNS[table.name]],), owned=True))
        elif "user_id" in table.columns and table.columns["user_id"] in columns:
            links.append(PersonLink(table, (table.columns["user_id"],), owned=True))
        else:
            links.append(PersonLink(table, tuple(columns), owned=False))
    return links


def exported_columns(table: Table) -> list[Column]:
    """The table's columns less secrets: the deny-list, and anything named like a secret not cleared."""
    kept = []
    for column in table.columns:
        key = (table.name, column.name)
        if key in DENIED_COLUMNS:
            continue
        if SECRET_LOOKING.search(column.name) and key not in NOT_SECRET:
            continue
        kept.append(column)
    return kept


def _plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _school_scope(table: Table, school: School, _seen: frozenset[str] = frozenset()) -> list[ColumnElement[bool]]:
    """What a row of the table must meet to be in `school`'s download of a person's data.

    A school is the controller of its own records and of no one else's, so its download holds only
    what it holds about the person. A person can work at several schools, or for a local authority or
    trust as well, under one account: what another school recorded about them (its roles, ledger
    entries, assignments, audit events, the email it sent, the self-assessment rounds it ran) is that
    school's to give them, and so is left out, as is anything recorded for an organisation. A row with
    no school of its own is judged by the row it belongs to (an answer to a self-assessment round by
    the round's school). A row that records no school at all is kept, being the record that follows
    the person between schools, unless ACCOUNT_ONLY says it is their account's alone.
    """
    conditions: list[ColumnElement[bool]] = []
    if "school_id" in table.columns:
        school_id = table.c.school_id
        if table.name in ACCOUNT_ONLY:
            conditions.append(school_id == school.id)
        else:
            conditions.append(or_(school_id.is_(None), school_id == school.id))
    elif table.name in ACCOUNT_ONLY:
        conditions.append(false())
    if "organisation_id" in table.columns:
        conditions.append(table.c.organisation_id.is_(None))
    seen = _seen | {table.name}
    for column in table.columns:
        for key in column.foreign_keys:
            parent = key.column.table
            if parent.name in seen or parent.name in (PERSON_TABLE, "school", "organisation"):
                continue
            parent_conditions = _school_scope(parent, school, seen)
            if parent_conditions:
                conditions.append(or_(column.is_(None), column.in_(select(key.column).where(*parent_conditions))))
    return conditions


def _rows(table: Table, where, school: School | None) -> list[dict[str, Any]]:
    columns = exported_columns(table)
    query = select(table).where(where).order_by(*table.primary_key.columns)
    if school is not None:
        query = query.where(*_school_scope(table, school))
    secrets_in_text = {
        column.name: SECRETS_IN_TEXT[(table.name, column.name)]
        for column in columns
        if (table.name, column.name) in SECRETS_IN_TEXT
    }
    rows = []
    for full in db.session.execute(query).mappings():
        row = {column.name: _plain(full[column.name]) for column in columns}
        for name, source in EXPORTED_FROM.get(table.name, {}).items():
            row[name] = full[source] if full[source] is not None else EXPORTED_FROM_MISSING
        for name, take_out in secrets_in_text.items():
            if isinstance(row[name], str):
                row[name] = take_out(row[name])
        rows.append(row)
    return rows


def collect_person_data(user: User, *, school: School | None = None) -> dict[str, list[dict[str, Any]]]:
    """Everything held about the person, table by table (every linked table, even when empty).

    With `school`, an export made by that school: only what that school holds (see `_school_scope`).
    """
    person_table = db.metadata.tables[PERSON_TABLE]
    data: dict[str, list[dict[str, Any]]] = {
        PERSON_TABLE: _rows(person_table, person_table.c.id == user.id, None),
    }
    owned_ids: dict[str, set[Any]] = {}
    for link in person_links():
        where = or_(*(column == user.id for column in link.columns))
        rows = _rows(link.table, where, school)
        data[link.table.name] = rows
        if link.owned and len(link.table.primary_key.columns) == 1:
            key = next(iter(link.table.primary_key.columns)).name
            owned_ids[link.table.name] = {row[key] for row in rows if key in row}
    # Tables that hang off the person's own rows (and have no link to a person of their own).
    followed = True
    while followed:
        followed = False
        for table in db.metadata.sorted_tables:
            if table.name in data or _person_columns(table):
                continue
            for column in table.columns:
                parents = {key.column.table.name for key in column.foreign_keys} & set(owned_ids)
                if not parents:
                    continue
                ids = owned_ids[parents.pop()]
                rows = _rows(table, column.in_(ids or {-1}), school) if ids else []
                data[table.name] = rows
                if len(table.primary_key.columns) == 1:
                    key = next(iter(table.primary_key.columns)).name
                    owned_ids[table.name] = {row[key] for row in rows if key in row}
                followed = True
                break
    return data


def _csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        cells = []
        for name in columns:
            value = row.get(name)
            if isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            cells.append(spreadsheet_safe(value))
        writer.writerow(cells)
    return out.getvalue()


README_TEXT = """Everything SEND Ready holds about you
=====================================

Made {made} for person number {person_id}{scope}.

Each table of the database that holds anything about you is here twice: as JSON (<table>.json)
and as a spreadsheet (<table>.csv). user_account is your profile. Secrets are left out: your
password, sign-in links and two-step sign-in secrets are stored only as hashes or keys that are of
no use to you, and are never exported. Nothing about anyone else is included: where a record names
someone else (who invited you, who recorded an entry), it does so by their number only.
{school_note}"""

SCHOOL_NOTE = """
{school} made this download, so it holds what {school} holds about you: its own records, and the
record that follows you from school to school (your training and CPD record). What another school
or organisation recorded about you, and the email it sent you, is theirs to give you. Your account's
own data (sign-in links, recovery codes, your private reflections, email such as password resets) is
in the download on your account page.
"""


def export_person(user: User, *, school: School | None = None) -> bytes:
    """A zip of JSON and CSV files: everything held about the person (see collect_person_data)."""
    data = collect_person_data(user, school=school)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        scope = f", as held by {school.name}" if school is not None else ""
        archive.writestr(
            "README.txt",
            README_TEXT.format(
                made=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                person_id=user.id,
                scope=scope,
                school_note=SCHOOL_NOTE.format(school=school.name) if school is not None else "",
            ),
        )
        for name, rows in sorted(data.items()):
            table = db.metadata.tables[name]
            columns = [column.name for column in exported_columns(table)]
            archive.writestr(f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2, sort_keys=True))
            archive.writestr(f"{name}.csv", _csv_text(rows, columns))
    return buffer.getvalue()


def export_filename(user: User) -> str:
    return f"send-ready-personal-data-{user.id}-{utcnow():%Y%m%d}.zip"


def record_export(user: User, *, actor: User, school: School | None) -> None:
    record_event(
        AuditAction.DATA_EXPORTED,
        school_id=school.id if school else None,
        actor_id=actor.id,
        subject_user_id=user.id,
        details={"by": "the person" if actor.id == user.id else "the school"},
    )


# ---- erasure ------------------------------------------------------------------------------------

ERASED_NAME = "Erased person"
ERASED_EMAIL_DOMAIN = "erased.invalid"
ERASED_MESSAGE = "(This message was removed when the person's details were erased.)\n"


def has_open_membership(user_id: int, today: date) -> bool:
    """Whether the person holds, or will hold, any role anywhere."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Membership.user_id == user_id,
                    (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
                )
            )
        )
    )


class CannotErase(ValueError):
    """The person cannot be erased yet; the message says why."""


def erasure_problem(user: User, *, actor: User | None, today: date) -> str | None:
    """Why the person cannot be erased now, or None if they can."""
    if user.erased_at is not None:
        return "Their details have already been erased."
    if actor is not None and actor.id == user.id:
        return "You cannot erase your own details."
    if has_open_membership(user.id, today):
        return "They still have a role at a school or organisation. Mark them as a leaver everywhere first."
    return None


def erase_person(user: User, *, actor: User | None, school: School | None, today: date | None = None) -> None:
    """Replace the person's name and email with a pseudonym, remove their secrets and sign-in, scrub
    the email sent to them. Their records (roles, training, the ledger) stay, under the pseudonym."""
    today = today or date.today()
    problem = erasure_problem(user, actor=actor, today=today)
    if problem:
        raise CannotErase(problem)
    old_email = user.email
    pseudonym_email = f"erased-{user.id}-{secrets.token_hex(4)}@{ERASED_EMAIL_DOMAIN}"
    user.name = f"{ERASED_NAME} {user.id}"
    user.email = pseudonym_email
    user.password_hash = None
    user.active = False
    user.session_token = new_session_token()
    user.two_step_secret = None
    user.two_step_enabled_at = None
    user.two_step_last_counter = None
    user.erased_at = utcnow()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    about_them = or_(OutboxMessage.user_id == user.id, OutboxMessage.to_address == old_email)
    # Unsent email to them is not sent; sent email keeps its kind and date, not its words.
    db.session.execute(delete(OutboxMessage).where(about_them, OutboxMessage.sent_at.is_(None)))
    db.session.execute(
        update(OutboxMessage)
        .where(about_them)
        .values(to_address=pseudonym_email, body_text=ERASED_MESSAGE, body_text_for_subject_access=ERASED_MESSAGE)
    )
    # A staff file waiting to be applied may list them; it is dropped rather than edited.
    db.session.execute(
        delete(StaffImport).where(
            StaffImport.applied_at.is_(None), StaffImport.csv_text.contains(old_email, autoescape=True)
        )
    )
    # Evidence files (certificates, transcripts) carry the person's name: they go, rows and all. The
    # ledger keeps only their ids and hashes, so the chain stays valid.
    from app.services.cpd_record import delete_evidence_files

    delete_evidence_files(user.id)
    record_event(
        AuditAction.PERSON_ERASED,
        school_id=school.id if school else None,
        actor_id=actor.id if actor else None,
        subject_user_id=user.id,
    )
    db.session.flush()


# ---- retention ----------------------------------------------------------------------------------


def retention_years(school: School) -> int:
    policy = db.session.scalars(select(RetentionPolicy).where(RetentionPolicy.school_id == school.id)).first()
    return policy.erase_leavers_after_years if policy else DEFAULT_ERASE_LEAVERS_AFTER_YEARS


def set_retention_years(school: School, years: int, *, actor: User) -> None:
    policy = db.session.scalars(select(RetentionPolicy).where(RetentionPolicy.school_id == school.id)).first()
    before = policy.erase_leavers_after_years if policy else DEFAULT_ERASE_LEAVERS_AFTER_YEARS
    if policy is None:
        policy = RetentionPolicy(school_id=school.id, erase_leavers_after_years=years)
        db.session.add(policy)
    policy.erase_leavers_after_years = years
    policy.updated_at = utcnow()
    if before != years:
        record_event(
            AuditAction.RETENTION_POLICY_CHANGED,
            school_id=school.id,
            actor_id=actor.id,
            details={"years_before": before, "years_now": years},
        )
    db.session.flush()


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class RetentionDue:
    user: User
    left_on: date
    # The day the last school's policy allowed the details to be removed.
    due_on: date


def leavers_due_for_erasure(today: date | None = None) -> list[RetentionDue]:
    """People who have left everywhere, whose every school's retention period has passed since."""
    today = today or date.today()
    open_membership = exists().where(
        Membership.user_id == User.id, (Membership.ended_on.is_(None)) | (Membership.ended_on >= today)
    )
    any_membership = exists().where(Membership.user_id == User.id)
    users = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.erased_at.is_(None), any_membership, ~open_membership))
    }
    if not users:
        return []
    years_by_school = {
        school_id: years
        for school_id, years in db.session.execute(
            select(RetentionPolicy.school_id, RetentionPolicy.erase_leavers_after_years)
        )
    }
    memberships: dict[int, list[Membership]] = {}
    ids = list(users)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for membership in db.session.scalars(select(Membership).where(Membership.user_id.in_(chunk))):
            memberships.setdefault(membership.user_id, []).append(membership)
    due = []
    for user_id, held in memberships.items():
        last_left = max(m.ended_on for m in held if m.ended_on is not None)
        due_on = max(
            _years_after(m.ended_on, years_by_school.get(m.school_id, DEFAULT_ERASE_LEAVERS_AFTER_YEARS))
            for m in held
            if m.ended_on is not None
        )
        if due_on <= today:
            due.append(RetentionDue(users[user_id], last_left, due_on))
    return sorted(due, key=lambda item: item.user.id)


@dataclass
class RetentionResult:
    erased: list[RetentionDue]
    abandoned_imports: int
    dry_run: bool

    def describe(self) -> list[str]:
        verb = "Would erase" if self.dry_run else "Erased"
        lines = [
            f"{verb} person {due.user.id} ({due.user.email}): left on {due.left_on.isoformat()}, "
            f"retention ended on {due.due_on.isoformat()}"
            for due in self.erased
        ]
        what = "would be removed" if self.dry_run else "removed"
        lines.append(f"{len(self.erased)} people {'would be ' if self.dry_run else ''}erased.")
        lines.append(f"{self.abandoned_imports} abandoned staff files {what}.")
        return lines


def apply_retention(*, today: date | None = None, dry_run: bool = False) -> RetentionResult:
    """Erase leavers past every school's retention period and drop abandoned staff files. Flushes."""
    today = today or date.today()
    due = leavers_due_for_erasure(today)
    stale = StaffImport.created_at < utcnow() - ABANDONED_IMPORT_AGE
    abandoned = db.session.scalar(select(func.count()).select_from(StaffImport).where(stale)) or 0
    if not dry_run:
        for item in due:
            erase_person(item.user, actor=None, school=None, today=today)
        db.session.execute(delete(StaffImport).where(stale))
        db.session.flush()
    return RetentionResult(due, abandoned, dry_run)
