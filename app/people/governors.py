"""The governing board: each governor's term of office, who chairs the board, the SEND governor, and the
board's required training (from the progress projection, in one query for the whole board)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.models import GOVERNOR_ROLES, AuditAction, Membership, ModuleProgress, Role, School, User
from app.people.staff import PersonInSchool, StaffChangeRefused, change_roles, open_memberships, people_in_school
from app.platform import record_event

# A governor's term is shown as ending soon this many days before it ends.
TERM_WARNING_DAYS = 60


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
    if by.id == person.user.id and is_chair != membership.is_chair:
        raise StaffChangeRefused("You cannot make yourself chair, or stand yourself down: ask the headteacher")
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
    record_event(
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
