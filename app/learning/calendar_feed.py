"""A person's training due dates as an iCalendar feed, at a secret address their calendar app can read.

The address carries a random secret; only its SHA-256 is stored (on the person's account), so the
database never holds a working address. The person sees the address once, when they make it; making
a new one stops the old one working, and they can turn it off. Fetching the feed needs no session (a
calendar app has none): the secret is the key, so it is long (256 bits) and compared by its hash.

What is in it: for each school where the person is required to train, each module they must
complete, on the date it is due (or, once completed and renewed every so many months, the date to
renew by), as an all-day event. Built with the `icalendar` library.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import icalendar
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.learning.requirements import personal_requirements, requirements_for_schools
from app.models import Assignment, Membership, ModuleProgress, School, User
from app.platform import public_url

SECRET_BYTES = 32


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_feed_secret(user: User) -> str:
    """Make a new secret for the person's calendar address (the old one stops working) and return it.
    The caller commits, and shows the address to the person now: it cannot be shown again."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    user.calendar_feed_hash = _digest(secret)
    return secret


def turn_off_feed(user: User) -> None:
    user.calendar_feed_hash = None


def person_for_secret(secret: str) -> User | None:
    """The active person whose calendar address has this secret, or None."""
    if not secret or len(secret) > 100:
        return None
    user = db.session.scalar(select(User).where(User.calendar_feed_hash == _digest(secret)))
    if user is None or not user.active or user.erased_at is not None:
        return None
    return user


@dataclass(frozen=True)
class DueDate:
    school: School
    module_id: str
    title: str
    on: date
    # "due" (not yet completed, or done on a version the school has asked to be done again) or "renew".
    kind: str
    assigned: bool


def due_dates(catalogue: Catalogue, user: User, today: date | None = None) -> list[DueDate]:
    """Every date the person's training asks something of them, at every school they train at."""
    today = today or date.today()
    memberships = db.session.scalars(
        select(Membership).where(
            Membership.user_id == user.id, Membership.school_id.is_not(None), Membership.is_current(today)
        )
    ).all()
    if not memberships:
        return []
    school_ids = sorted({m.school_id for m in memberships})
    requirements = requirements_for_schools(catalogue, school_ids)
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.user_id == user.id, Assignment.school_id.in_(school_ids))
    ).all()
    completed = dict(
        db.session.execute(
            select(ModuleProgress.module_id, ModuleProgress.completed_at).where(
                ModuleProgress.user_id == user.id, ModuleProgress.completed_at.is_not(None)
            )
        ).all()
    )
    schools = {school.id: school for school in db.session.scalars(select(School).where(School.id.in_(school_ids)))}
    dates = []
    for school_id in school_ids:
        roles_started: dict[str, date] = {}
        for membership in memberships:
            if membership.school_id == school_id:
                role = membership.role.value
                roles_started[role] = min(roles_started.get(role, membership.started_on), membership.started_on)
        mine = personal_requirements(
            requirements[school_id], roles_started, [a for a in assignments if a.school_id == school_id]
        )
        for module_id, requirement in mine.items():
            module = catalogue.modules.get(module_id)
            if module is None:
                continue
            done = completed.get(module_id)
            out_of_date = done is not None and requirement.refresh_required_since is not None
            out_of_date = out_of_date and done < requirement.refresh_required_since
            if done is None or out_of_date:
                on, kind = requirement.due_on, "due"
            elif requirement.renew_every_months:
                on, kind = done.date() + relativedelta(months=requirement.renew_every_months), "renew"
            else:
                continue
            dates.append(DueDate(schools[school_id], module_id, module.title, on, kind, requirement.assigned))
    return sorted(dates, key=lambda due: (due.on, due.title))


def feed(catalogue: Catalogue, user: User, today: date | None = None) -> bytes:
    """The person's due dates as an iCalendar file."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//SEND Ready//Training due dates//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "SEND Ready training")
    stamp = datetime.now(UTC)
    for due in due_dates(catalogue, user, today):
        event = icalendar.Event()
        # Stable, so that a calendar app updates an event rather than adding another when a date moves.
        event.add("uid", f"{due.kind}-{due.school.id}-{due.module_id}-{user.id}@send-ready")
        event.add("dtstamp", stamp)
        event.add("dtstart", due.on)
        event.add("dtend", due.on + timedelta(days=1))
        verb = "Renew by today" if due.kind == "renew" else "Due"
        event.add("summary", f"{verb}: {due.title}")
        why = "assigned to you" if due.assigned else "required of you"
        event.add(
            "description",
            f"{due.title}, {why} at {due.school.name}.\n{public_url('learn.show_module', module_id=due.module_id)}",
        )
        event.add("url", public_url("learn.show_module", module_id=due.module_id))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
