"""Whether a person shares their CPD record from elsewhere with a school they work at.

A school always sees the part of a person's record it owns: what was recorded while the person worked
there (modules, quizzes, self-assessment, the CPD they added) and what the school itself decided. The
rest (what they did at other schools) is the person's to share, school by school: off until they turn
it on, and they can turn it off again. Each change is in that school's audit log, and changes the
school's training revision, since its statutory checks may read a shared SENCO qualification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import abort
from sqlalchemy import select

from app.extensions import db
from app.models import AuditAction, Membership, RecordSharing, School, User
from app.models.base import utcnow
from app.platform import record_event


def is_shared(user_id: int, school_id: int) -> bool:
    return (
        db.session.scalar(
            select(RecordSharing.id).where(
                RecordSharing.user_id == user_id,
                RecordSharing.school_id == school_id,
                RecordSharing.shared_at.is_not(None),
            )
        )
        is not None
    )


@dataclass(frozen=True)
class SchoolSharing:
    school: School
    shared_since: datetime | None


def sharing_of(user: User, today: date | None = None) -> list[SchoolSharing]:
    """Each school the person works at now, with whether they share their record from elsewhere."""
    today = today or date.today()
    schools = db.session.scalars(
        select(School)
        .where(
            School.id.in_(
                select(Membership.school_id).where(
                    Membership.user_id == user.id, Membership.school_id.is_not(None), Membership.is_current(today)
                )
            )
        )
        .order_by(School.name)
    ).all()
    since = dict(
        db.session.execute(
            select(RecordSharing.school_id, RecordSharing.shared_at).where(RecordSharing.user_id == user.id)
        ).all()
    )
    return [SchoolSharing(school, since.get(school.id)) for school in schools]


def school_of_person_or_404(user: User, school_id: int, today: date | None = None) -> School:
    """One of the schools the person works at now; any other school is 'not found'."""
    for item in sharing_of(user, today):
        if item.school.id == school_id:
            return item.school
    abort(404)


def set_sharing(user: User, school_id: int, share: bool, today: date | None = None) -> bool:
    """Turn sharing with one of the person's current schools on or off. False if nothing changed."""
    school_of_person_or_404(user, school_id, today)
    row = db.session.scalar(
        select(RecordSharing).where(RecordSharing.user_id == user.id, RecordSharing.school_id == school_id)
    )
    if (row is not None and row.shared_at is not None) == share:
        return False
    now = utcnow()
    if row is None:
        row = RecordSharing(user_id=user.id, school_id=school_id)
        db.session.add(row)
    row.shared_at = now if share else None
    row.changed_at = now
    record_event(
        AuditAction.RECORD_SHARED if share else AuditAction.RECORD_SHARING_STOPPED,
        school_id=school_id,
        actor_id=user.id,
        subject_user_id=user.id,
        details={},
    )
    db.session.flush()
    return True
