"""Subject access: everything SEND Ready holds about a person, as the person or one of their schools
downloads it.

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
"""

from __future__ import annotations

import base64
import csv
import enum
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, false, or_, select

from app.extensions import db
from app.models import AuditAction, School, User
from app.models.base import utcnow
from app.platform import record_event, spreadsheet_safe, without_sign_in_links

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
    "sign_in_identity": "the Microsoft or Google accounts that sign the person in: their account's",
    "key_question_reflection": "private reflection on a key question: the person's alone, never shown to a school",
    "audit_event": "an event recorded for no school (two-step sign-in changes, the person's own download) "
    "is about their account; no school's audit log shows it",
    "outbox_message": "an email sent for no school (a password reset) is about the person's account and "
    "may have held a sign-in link; a school's download has only the email sent for that school",
}


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
