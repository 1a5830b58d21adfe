"""Reminders: training due soon or overdue, and a weekly digest for each headteacher.

Meant to run daily (`flask send-reminders`). Each reminder is recorded with the period it covers
(a due date, or a week), and the record is unique, so running twice in a day, or two machines
running at once, sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.content.model import Catalogue
from app.extensions import db
from app.leadership import school_dashboard
from app.leadership.staff_training import TrainingStatus
from app.models import ReminderSent, Role, School
from app.platform import public_url, queue_email
from app.school_content import catalogue_for_school
from app.self_assessment import overdue_actions

REMINDED = {TrainingStatus.DUE_SOON, TrainingStatus.OVERDUE, TrainingStatus.EXPIRED, TrainingStatus.OLDER_VERSION}


@dataclass
class ReminderRun:
    reminders: int = 0
    digests: int = 0
    skipped: int = 0


def _week(today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def _period(status: TrainingStatus, due: date, today: date) -> str:
    # Due soon: once for each due date. Overdue, expired or out of date: once a week until done.
    return due.isoformat() if status is TrainingStatus.DUE_SOON else _week(today)


def _claim(user_id: int, school_id: int, kind: str, subject: str, period: str) -> ReminderSent | None:
    """Record a reminder as sent; None if it already was (by this run or another)."""
    record = ReminderSent(user_id=user_id, school_id=school_id, kind=kind, subject=subject, period=period)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return None
    return record


def send_reminders(catalogue: Catalogue, today: date | None = None) -> ReminderRun:
    """Queue every reminder that is due today and not yet sent. Commits once per school."""
    today = today or date.today()
    run = ReminderRun()
    for school in db.session.scalars(select(School).order_by(School.id)):
        # The school's own modules are reminded of as the national ones are.
        school_catalogue = catalogue_for_school(catalogue, school)
        dashboard = school_dashboard.dashboards(school_catalogue, [school.id], today)[school.id]
        for row in dashboard.rows:
            items = []
            claims = []
            for module_id, cell in row.cells.items():
                if cell.status not in REMINDED:
                    continue
                claim = _claim(
                    row.user.id, school.id, cell.status.value, module_id, _period(cell.status, cell.date, today)
                )
                if claim is None:
                    run.skipped += 1
                    continue
                claims.append(claim)
                items.append((school_catalogue.modules[module_id].title, cell.status.label, cell.date))
            if items and row.user.active:
                message = queue_email(
                    kind="training_reminder",
                    to=row.user.email,
                    template="training_reminder",
                    user_id=row.user.id,
                    school_id=school.id,
                    name=row.user.name,
                    school=school.name,
                    items=items,
                    link=public_url("learn.your_training"),
                )
                for claim in claims:
                    claim.outbox_message_id = message.id
                run.reminders += 1
        run.digests += _send_digests(school_catalogue, school, dashboard, today)
        db.session.commit()
    return run


def _send_digests(catalogue, school, dashboard, today: date) -> int:
    counts = dashboard.status_counts()
    late_actions = None
    sent = 0
    for row in dashboard.rows:
        if Role.HEADTEACHER not in row.roles or not row.user.active:
            continue
        claim = _claim(row.user.id, school.id, "weekly_digest", "digest", _week(today))
        if claim is None:
            continue
        if late_actions is None:
            # Not the owner: it may be another person's name, and the digest is in the head's own
            # subject access download (see queue_email).
            late_actions = [
                {"description": action.description, "due_on": action.due_on}
                for action in overdue_actions(school.id, today)
            ]
        message = queue_email(
            kind="weekly_digest",
            to=row.user.email,
            template="weekly_digest",
            user_id=row.user.id,
            school_id=school.id,
            name=row.user.name,
            school=school.name,
            people=len(dashboard.rows),
            overdue=counts[TrainingStatus.OVERDUE],
            expired=counts[TrainingStatus.EXPIRED],
            due_soon=counts[TrainingStatus.DUE_SOON],
            older=counts[TrainingStatus.OLDER_VERSION],
            completed=counts[TrainingStatus.COMPLETED],
            link=public_url("leaders.staff_training"),
            overdue_actions=late_actions,
            actions_link=public_url("assess.list_rounds"),
        )
        claim.outbox_message_id = message.id
        sent += 1
    return sent
