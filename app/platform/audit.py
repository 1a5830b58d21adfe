"""The audit log: who did what to whom, and when, at which school. Every part of SEND Ready that changes
people's roles, records or data writes to it (`record_event`); heads and admins read it and download it.
Details hold ids and counts, never names, so that erasing a person's details also clears them here."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import AuditAction, AuditEvent, School, User
from app.models.base import utcnow
from app.platform.spreadsheets import spreadsheet_safe


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
