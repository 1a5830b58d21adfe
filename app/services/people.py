"""The people in a school, always read through the school so that no query crosses schools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.content.model import Catalogue
from app.extensions import db
from app.models import SCHOOL_ROLES, AuditAction, Membership, ModuleProgress, Role, School, User
from app.services import accounts, data_protection


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

GOVERNOR_ROLES = frozenset({Role.GOVERNOR, Role.SEND_GOVERNOR})
# A governor's term is shown as ending soon this many days before it ends.
TERM_WARNING_DAYS = 60


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
    if (
        by.id == person.user.id
        and not roles & {Role.HEADTEACHER, Role.SCHOOL_ADMIN}
        and set(held)
        & {
            Role.HEADTEACHER,
            Role.SCHOOL_ADMIN,
        }
    ):
        raise StaffChangeRefused("You cannot remove your own headteacher or administrator role")
    added = [role for role in SCHOOL_ROLES if role in roles and role not in held]
    ended = [role for role in SCHOOL_ROLES if role in held and role not in roles]
    for role in ended:
        _end(held[role], today - timedelta(days=1))
    for role in added:
        db.session.add(
            Membership(
                user_id=person.user.id, school_id=school.id, role=role, started_on=started_on, invited_by_id=by.id
            )
        )
    if added or ended:
        data_protection.record_event(
            AuditAction.ROLES_CHANGED,
            school_id=school.id,
            actor_id=by.id,
            subject_user_id=person.user.id,
            details={"added": [r.value for r in added], "ended": [r.value for r in ended]},
        )
    db.session.flush()
    return added, ended


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
        data_protection.record_event(
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


def set_teacher_status(
    *,
    school: School,
    person: PersonInSchool,
    qualified: bool,
    induction_completed: bool | None,
    senco_over_12_months_before: bool | None,
    by: User,
) -> bool:
    """Record qualified teacher status, statutory induction and earlier time as a SENCO: facts about the
    person, held nationally, that decide who may be SENCO and who must gain the SENCO qualification."""
    user = person.user
    new = (qualified, induction_completed, senco_over_12_months_before)
    if (user.qualified_teacher, user.induction_completed, user.senco_over_12_months_before) == new:
        return False
    user.qualified_teacher, user.induction_completed, user.senco_over_12_months_before = new

    def said(value: bool | None) -> str:
        return {True: "yes", False: "no", None: "not known"}[value]

    data_protection.record_event(
        AuditAction.QUALIFIED_TEACHER_CHANGED,
        school_id=school.id,
        actor_id=by.id,
        subject_user_id=user.id,
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
    for membership in current:
        _end(membership, left_on - timedelta(days=1))
    db.session.flush()
    stays_elsewhere = data_protection.has_open_membership(person.user.id, today)
    if not stays_elsewhere:
        accounts.deactivate(person.user)
    data_protection.record_event(
        AuditAction.LEAVER_MARKED,
        school_id=school.id,
        actor_id=by.id,
        subject_user_id=person.user.id,
        details={"left_on": left_on.isoformat(), "roles": [m.role.value for m in current]},
    )
    db.session.flush()
    return True


def rejoin(*, school: School, person: PersonInSchool, role: Role, started_on: date, by: User) -> Membership:
    """Someone who left comes back: a new role from `started_on`, and their sign-in works again."""
    user = person.user
    if user.erased_at is not None:
        raise StaffChangeRefused("Their details were erased. Invite them again as a new person")
    if any(m.role is role for m in open_memberships(person, date.today())):
        raise StaffChangeRefused(f"They are already a {role.label.lower()} here")
    membership = Membership(user_id=user.id, school_id=school.id, role=role, started_on=started_on, invited_by_id=by.id)
    db.session.add(membership)
    if not user.active:
        accounts.reactivate(user)
    accounts.tell_about_new_role(user, school=school, role=role, inviter=by)
    data_protection.record_event(
        AuditAction.REJOINED,
        school_id=school.id,
        actor_id=by.id,
        subject_user_id=user.id,
        details={"role": role.value, "started_on": started_on.isoformat()},
    )
    db.session.flush()
    return membership


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


# ---- governors ----------------------------------------------------------------------------------


def governor_membership(person: PersonInSchool, today: date | None = None) -> Membership | None:
    """The membership that carries a governor's term and chair flag: their governor role, else SEND governor."""
    today = today or date.today()
    held = [m for m in open_memberships(person, today) if m.role in GOVERNOR_ROLES]
    held.sort(key=lambda m: (m.role is not Role.GOVERNOR, m.id))
    return held[0] if held else None


@dataclass(frozen=True)
class BoardMember:
    user: User
    membership: Membership
    send_governor: bool
    required_modules: int
    completed_modules: int
    today: date

    @property
    def term_days_left(self) -> int | None:
        if self.membership.term_ends_on is None:
            return None
        return (self.membership.term_ends_on - self.today).days

    @property
    def term_ending_soon(self) -> bool:
        days = self.term_days_left
        return days is not None and 0 <= days <= TERM_WARNING_DAYS

    @property
    def term_ended(self) -> bool:
        days = self.term_days_left
        return days is not None and days < 0

    @property
    def training_status(self) -> tuple[str, str]:
        """(words, tag class) for the board list."""
        if self.required_modules == 0:
            return "No required training", "govuk-tag--grey"
        if self.completed_modules >= self.required_modules:
            return "Completed", "govuk-tag--green"
        if self.completed_modules == 0:
            return f"Not started (0 of {self.required_modules})", "govuk-tag--red"
        return f"{self.completed_modules} of {self.required_modules} completed", "govuk-tag--yellow"


def board_of(school: School, catalogue: Catalogue, today: date | None = None) -> list[BoardMember]:
    """The school's governors with their term, offices and required training done.

    Training status comes from the progress projection: one query for the whole board.
    """
    today = today or date.today()
    governors = [
        person
        for person in people_in_school(school, today)
        if any(m.role in GOVERNOR_ROLES for m in person.memberships)
    ]
    required_by_person: dict[int, set[str]] = {}
    for person in governors:
        required: set[str] = set()
        for role in person.roles:
            pathway = catalogue.pathways.get(role.value)
            if pathway is not None and role in GOVERNOR_ROLES:
                required |= set(pathway.required)
        required_by_person[person.user.id] = required
    completed: dict[int, set[str]] = {}
    # Asked even for an empty board, so the page's queries are the same whatever the school's size.
    rows = db.session.execute(
        select(ModuleProgress.user_id, ModuleProgress.module_id, ModuleProgress.completed_version).where(
            ModuleProgress.user_id.in_([p.user.id for p in governors]),
            ModuleProgress.completed_version.is_not(None),
        )
    )
    for user_id, module_id, version in rows:
        module = catalogue.modules.get(module_id)
        # A module changed since it was completed counts as to do again, as on "Your training".
        if module is not None and module.version == version:
            completed.setdefault(user_id, set()).add(module_id)
    board = []
    for person in governors:
        membership = governor_membership(person, today)
        if membership is None:
            continue
        required = required_by_person[person.user.id]
        board.append(
            BoardMember(
                user=person.user,
                membership=membership,
                send_governor=Role.SEND_GOVERNOR in person.roles,
                required_modules=len(required),
                completed_modules=len(required & completed.get(person.user.id, set())),
                today=today,
            )
        )
    return board


def update_governance(
    *,
    school: School,
    person: PersonInSchool,
    term_started_on: date | None,
    term_ends_on: date | None,
    is_chair: bool,
    send_governor: bool,
    by: User,
    today: date | None = None,
) -> bool:
    """Record a governor's term of office, whether they chair the board, and the SEND governor role.

    A board has one chair: making someone chair stands the previous chair down. False if nothing changed.
    """
    today = today or date.today()
    membership = governor_membership(person, today)
    if membership is None:
        raise StaffChangeRefused("They are not a governor here")
    if term_started_on and term_ends_on and term_ends_on < term_started_on:
        raise StaffChangeRefused("The end of the term must be after its start")
    before = (
        membership.term_started_on,
        membership.term_ends_on,
        membership.is_chair,
        Role.SEND_GOVERNOR in person.roles,
    )
    membership.term_started_on = term_started_on
    membership.term_ends_on = term_ends_on
    if is_chair and not membership.is_chair:
        for other in db.session.scalars(
            select(Membership).where(
                Membership.school_id == school.id,
                Membership.is_chair.is_(True),
                Membership.id != membership.id,
            )
        ):
            other.is_chair = False
    membership.is_chair = is_chair
    roles = set(person.roles)
    if send_governor != (Role.SEND_GOVERNOR in roles):
        wanted = (roles | {Role.SEND_GOVERNOR}) if send_governor else (roles - {Role.SEND_GOVERNOR})
        change_roles(school=school, person=person, roles=wanted, started_on=today, by=by, today=today)
    after = (term_started_on, term_ends_on, is_chair, send_governor)
    if before == after:
        return False
    data_protection.record_event(
        AuditAction.GOVERNANCE_CHANGED,
        school_id=school.id,
        actor_id=by.id,
        subject_user_id=person.user.id,
        details={
            "term_started_on": term_started_on.isoformat() if term_started_on else "",
            "term_ends_on": term_ends_on.isoformat() if term_ends_on else "",
            "chair": "yes" if is_chair else "no",
            "send_governor": "yes" if send_governor else "no",
        },
    )
    db.session.flush()
    return True
