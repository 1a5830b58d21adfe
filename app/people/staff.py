"""The people in a school, always read through the school so that no query crosses schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import SCHOOL_ROLES, AuditAction, Membership, Role, School, TeacherStatusRecord, User
from app.models.base import utcnow
from app.people import accounts, erasure, invitations
from app.permissions import RoleGrantRefused, grant_refusal, removal_refusal, roles_at_school
from app.platform import record_event


@dataclass(frozen=True)
class PersonInSchool:
    user: User
    memberships: list[Membership]

    @property
    def roles(self) -> list[Role]:
        return sorted({m.role for m in self.memberships}, key=list(Role).index)

    @property
    def started_on(self) -> date:
        return min(m.started_on for m in self.memberships)

    @property
    def invitation_pending(self) -> bool:
        return not self.user.has_password


def people_in_school(school: School, today: date | None = None) -> list[PersonInSchool]:
    """Everyone with a current role at the school, by name. One query, whatever the school's size."""
    today = today or date.today()
    memberships = db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .where(
            Membership.school_id == school.id,
            Membership.is_current(today),
        )
        .options(selectinload(Membership.user))
        .order_by(User.name, User.id, Membership.id)
    )
    grouped: dict[int, list[Membership]] = {}
    for membership in memberships:
        grouped.setdefault(membership.user_id, []).append(membership)
    return [PersonInSchool(group[0].user, group) for group in grouped.values()]


@dataclass(frozen=True, slots=True)
class ListedPerson:
    """One line of the school's staff list: plain values, read as rows rather than ORM objects,
    because a large school lists hundreds of people on one page."""

    id: int
    name: str
    email: str
    roles: tuple[Role, ...]
    started_on: date
    invitation_pending: bool

    @property
    def role_labels(self) -> str:
        return ", ".join(role.label for role in self.roles)


def staff_list(school: School, today: date | None = None) -> list[ListedPerson]:
    """Everyone with a current role at the school, by name, as plain rows. One query."""
    today = today or date.today()
    rows = db.session.execute(
        select(
            User.id,
            User.name,
            User.email,
            User.password_hash.is_(None).label("invitation_pending"),
            Membership.role,
            Membership.started_on,
        )
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.school_id == school.id,
            Membership.is_current(today),
        )
        .order_by(User.name, User.id)
    )
    grouped: dict[int, tuple[tuple, set[Role], date]] = {}
    for user_id, name, email, pending, role, started_on in rows:
        person, roles, started = grouped.setdefault(user_id, ((user_id, name, email, bool(pending)), set(), started_on))
        roles.add(role)
        grouped[user_id] = (person, roles, min(started, started_on))
    order = {role: index for index, role in enumerate(Role)}
    return [
        ListedPerson(user_id, name, email, tuple(sorted(roles, key=order.__getitem__)), started, pending)
        for (user_id, name, email, pending), roles, started in grouped.values()
    ]


def person_in_school_or_404(school: School, user_id: int) -> PersonInSchool:
    """The person as seen by this school. Someone with no role here is 'not found', never 'forbidden'."""
    memberships = list(
        db.session.scalars(
            select(Membership)
            .where(Membership.school_id == school.id, Membership.user_id == user_id)
            .options(selectinload(Membership.user))
            .order_by(Membership.id)
        )
    )
    if not memberships:
        abort(404)
    return PersonInSchool(memberships[0].user, memberships)


# ---- keeping the staff list ---------------------------------------------------------------------


class StaffChangeRefused(ValueError):
    """A change that cannot be made; the message says why, in words for the person making it."""


def _is_open(membership: Membership, today: date) -> bool:
    """Held now or from a later date: not ended."""
    return membership.ended_on is None or membership.ended_on >= today


def open_memberships(person: PersonInSchool, today: date) -> list[Membership]:
    return [m for m in person.memberships if _is_open(m, today)]


def _end(membership: Membership, day_before: date) -> None:
    """End a role so that it is no longer held from `day_before` + 1 (never before it started)."""
    membership.ended_on = max(day_before, membership.started_on)


def change_roles(
    *, school: School, person: PersonInSchool, roles: set[Role], started_on: date, by: User, today: date | None = None
) -> tuple[list[Role], list[Role]]:
    """Give the person exactly these roles at the school: new ones start on `started_on`, dropped ones
    end yesterday (a role given only today, or not started yet, is ended on its start date).

    Returns (added, ended). Asking for the roles they already hold changes nothing.
    """
    today = today or date.today()
    if not roles:
        raise StaffChangeRefused("Select at least one role. To remove someone from the school, mark them as a leaver")
    if any(role.is_organisation_role for role in roles):
        raise StaffChangeRefused("That role is not given at a school")
    held = {m.role: m for m in open_memberships(person, today)}
    added = [role for role in SCHOOL_ROLES if role in roles and role not in held]
    ended = [role for role in SCHOOL_ROLES if role in held and role not in roles]
    check_role_changes(school=school, person=person, added=added, ended=ended, by=by, today=today)
    for role in ended:
        _end(held[role], today - timedelta(days=1))
    for role in added:
        db.session.add(
            Membership(
                user_id=person.user.id, school_id=school.id, role=role, started_on=started_on, invited_by_id=by.id
            )
        )
    if added or ended:
        record_event(
            AuditAction.ROLES_CHANGED,
            school_id=school.id,
            actor_id=by.id,
            subject_user_id=person.user.id,
            details={"added": [r.value for r in added], "ended": [r.value for r in ended]},
        )
    db.session.flush()
    return added, ended


def _other_headteachers(school: School, person: PersonInSchool, today: date) -> int:
    return len(
        db.session.scalars(
            select(Membership.id).where(
                Membership.school_id == school.id,
                Membership.role == Role.HEADTEACHER,
                Membership.user_id != person.user.id,
                Membership.is_current(today),
            )
        ).all()
    )


def check_role_changes(
    *, school: School, person: PersonInSchool, added: list[Role], ended: list[Role], by: User, today: date
) -> None:
    """Refuse (StaffChangeRefused) any change the person making it may not make: the grant table in
    app/permissions.py says who may give and take away which role; nobody gives themselves one."""
    granter = roles_at_school(by, school.id, today)
    on_self = by.id == person.user.id
    if ended:
        others = _other_headteachers(school, person, today) if Role.HEADTEACHER in ended else 1
        for role in ended:
            refusal = removal_refusal(granter, role, on_self=on_self, other_headteachers=others)
            if refusal:
                raise StaffChangeRefused(refusal)
    for role in added:
        refusal = grant_refusal(granter, role, on_self=on_self)
        if refusal:
            raise StaffChangeRefused(refusal)


def change_start_date(*, school: School, person: PersonInSchool, started_on: date, by: User) -> bool:
    """Set the start date of every role the person holds at the school now. False if nothing changed."""
    today = date.today()
    changed = False
    for membership in open_memberships(person, today):
        if membership.ended_on is not None and membership.ended_on < started_on:
            raise StaffChangeRefused("The start date must be before the date their role ends")
        if membership.started_on != started_on:
            membership.started_on = started_on
            changed = True
    if changed:
        record_event(
            AuditAction.START_DATE_CHANGED,
            school_id=school.id,
            actor_id=by.id,
            subject_user_id=person.user.id,
            details={"started_on": started_on.isoformat()},
        )
    db.session.flush()
    return changed


def holds_role(person: PersonInSchool, role: Role, today: date | None = None) -> bool:
    """Whether the person has the role at the school now, or is due to start it."""
    today = today or date.today()
    return any(m.role is role and (m.ended_on is None or m.ended_on >= today) for m in person.memberships)


def teacher_status(school: School, person: PersonInSchool) -> TeacherStatusRecord | None:
    """What this school has recorded of the person's standing as a teacher (None: not checked yet)."""
    return db.session.scalar(
        select(TeacherStatusRecord).where(
            TeacherStatusRecord.school_id == school.id, TeacherStatusRecord.user_id == person.user.id
        )
    )


def set_teacher_status(
    *,
    school: School,
    person: PersonInSchool,
    qualified: bool,
    induction_completed: bool | None,
    senco_over_12_months_before: bool | None,
    by: User,
) -> bool:
    """Record this school's check of the person's qualified teacher status, statutory induction and
    earlier time as a SENCO: what decides who may be SENCO and who must gain the SENCO qualification.
    Another school's record is never touched. False if nothing changed."""
    record = teacher_status(school, person)
    new = (qualified, induction_completed, senco_over_12_months_before)
    if record is None:
        if new == (False, None, None):
            return False
        record = TeacherStatusRecord(school_id=school.id, user_id=person.user.id)
        db.session.add(record)
    elif (record.qualified, record.induction_completed, record.senco_over_12_months_before) == new:
        return False
    record.qualified, record.induction_completed, record.senco_over_12_months_before = new
    record.recorded_by_id = by.id
    record.recorded_at = utcnow()

    def said(value: bool | None) -> str:
        return {True: "yes", False: "no", None: "not known"}[value]

    record_event(
        AuditAction.QUALIFIED_TEACHER_CHANGED,
        school_id=school.id,
        actor_id=by.id,
        subject_user_id=person.user.id,
        details={
            "qualified_teacher": said(qualified),
            "induction_completed": said(induction_completed),
            "senco_over_12_months_before": said(senco_over_12_months_before),
        },
    )
    db.session.flush()
    return True


def mark_leaver(*, school: School, person: PersonInSchool, left_on: date, by: User, today: date | None = None) -> bool:
    """End every role the person holds at the school, from `left_on` (the first day they are gone).

    Their records stay. If they hold no other role anywhere, their account is switched off and every
    session they have ends, so their sign-in stops working; rejoining switches it on again.
    Returns False if they had already left.
    """
    today = today or date.today()
    if by.id == person.user.id:
        raise StaffChangeRefused("You cannot mark yourself as a leaver")
    if left_on > today:
        raise StaffChangeRefused("The date they left must be today or in the past")
    current = open_memberships(person, today)
    if not current:
        return False
    check_role_changes(
        school=school,
        person=person,
        added=[],
        ended=sorted({m.role for m in current}, key=SCHOOL_ROLES.index),
        by=by,
        today=today,
    )
    for membership in current:
        _end(membership, left_on - timedelta(days=1))
    db.session.flush()
    stays_elsewhere = erasure.has_open_membership(person.user.id, today)
    if not stays_elsewhere:
        accounts.deactivate(person.user)
    record_event(
        AuditAction.LEAVER_MARKED,
        school_id=school.id,
        actor_id=by.id,
        subject_user_id=person.user.id,
        details={"left_on": left_on.isoformat(), "roles": [m.role.value for m in current]},
    )
    db.session.flush()
    return True


def rejoin(*, school: School, person: PersonInSchool, role: Role, started_on: date, by: User) -> invitations.Invited:
    """Someone who left is invited back: they rejoin when they accept (their sign-in works again)."""
    user = person.user
    if user.erased_at is not None:
        raise StaffChangeRefused("Their details were erased. Invite them again as a new person")
    if any(m.role is role for m in open_memberships(person, date.today())):
        raise StaffChangeRefused(f"They are already a {role.label.lower()} here")
    try:
        return invitations.invite(
            school=school,
            email_address=user.email,
            name=user.name,
            role=role,
            started_on=started_on,
            invited_by=by,
        )
    except (RoleGrantRefused, invitations.AlreadyInvited, accounts.AlreadyMember) as refused:
        raise StaffChangeRefused(str(refused)) from refused


def leavers_of_school(school: School, today: date | None = None) -> list[PersonInSchool]:
    """People who held a role at the school and hold none now (nor from a later date), by name."""
    today = today or date.today()
    still_here = (
        select(Membership.user_id)
        .where(Membership.school_id == school.id, (Membership.ended_on.is_(None)) | (Membership.ended_on >= today))
        .scalar_subquery()
    )
    memberships = db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .where(Membership.school_id == school.id, Membership.user_id.not_in(still_here))
        .options(selectinload(Membership.user))
        .order_by(User.name, User.id, Membership.id)
    )
    grouped: dict[int, list[Membership]] = {}
    for membership in memberships:
        grouped.setdefault(membership.user_id, []).append(membership)
    return [PersonInSchool(group[0].user, group) for group in grouped.values()]


def left_on(person: PersonInSchool) -> date | None:
    """The first day a leaver was gone (None for someone still here)."""
    if any(m.ended_on is None for m in person.memberships):
        return None
    return max(m.ended_on for m in person.memberships if m.ended_on) + timedelta(days=1)
