"""Who may do what: the one place that says so.

Every view is either marked public with `@public` or protected with `@requires(...)`; a test walks
the url_map and fails for any endpoint that is neither. A person's permissions come from the roles
they hold in the school (or organisation) they are working in now, and from any office they hold
there with a governor role (the chair of governors): the "context", chosen in the header's switcher
and kept in the session.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps

from flask import abort, g, session
from flask_login import current_user

from app.extensions import login_manager
from app.models import GOVERNOR_ROLES, SCHOOL_ROLES, Membership, Organisation, Role, School, User


class Permission(enum.StrEnum):
    # Learning: every member of staff and every governor.
    TAKE_TRAINING = "take_training"
    # Leading a school.
    VIEW_SCHOOL_OVERVIEW = "view_school_overview"
    # Quiz results across the school (never naming who missed what), and extra attempts for a person.
    VIEW_QUIZ_RESULTS = "view_quiz_results"
    GRANT_EXTRA_ATTEMPTS = "grant_extra_attempts"
    # Reading the CPD records of the school's staff, verifying or rejecting their external CPD and
    # voiding a certificate issued in error.
    REVIEW_CPD_RECORDS = "review_cpd_records"
    VIEW_PEOPLE = "view_people"
    INVITE_PEOPLE = "invite_people"
    # Keeping the staff list: roles, start dates, leavers, governors' terms, importing a file.
    MANAGE_STAFF = "manage_staff"
    # The school's audit log, and its data protection duties: a person's data, erasure, retention.
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_PERSONAL_DATA = "manage_personal_data"
    # How the school's people sign in: Microsoft or Google sign-in, its domains and tenant, whether the
    # provider's multi-factor sign-in counts, and whether passwords are off for the school's people.
    MANAGE_SIGN_IN = "manage_sign_in"
    # Self-assessment on the key questions: answering (rounds one is invited to, private reflection);
    # opening and leading a round (which sets: ROUND_OPENERS below, for a role or an office); reading
    # the school's agreed positions, trend and board report (never anyone's own answers: only a
    # round's lead sees those).
    ANSWER_KEY_QUESTIONS = "answer_key_questions"
    LEAD_SELF_ASSESSMENT = "lead_self_assessment"
    VIEW_SELF_ASSESSMENT = "view_self_assessment"
    # Staff training against the school's requirements: the dashboard and statutory checks; assigning
    # modules; changing the school's requirements; the governing board's report.
    VIEW_STAFF_TRAINING = "view_staff_training"
    ASSIGN_TRAINING = "assign_training"
    MANAGE_REQUIREMENTS = "manage_requirements"
    VIEW_BOARD_REPORT = "view_board_report"
    # Across an organisation's schools: summaries only, never an individual's answers.
    VIEW_ORGANISATION_SUMMARY = "view_organisation_summary"
    # How current the training content is: each module's last review and next review date, and the
    # notes of changes in the law it was updated for. The same for every school; no school's data.
    VIEW_CONTENT_REVIEWS = "view_content_reviews"
    # A school's own content: writing and publishing its modules and their questions (importing and
    # exporting question banks), and the policies its staff must read and acknowledge.
    WRITE_SCHOOL_CONTENT = "write_school_content"


_LEARNER = {Permission.TAKE_TRAINING, Permission.ANSWER_KEY_QUESTIONS}
_SELF_ASSESSMENT_LEAD = {Permission.LEAD_SELF_ASSESSMENT, Permission.VIEW_SELF_ASSESSMENT}
_LEADER = {
    Permission.VIEW_SCHOOL_OVERVIEW,
    Permission.VIEW_PEOPLE,
    Permission.VIEW_QUIZ_RESULTS,
    Permission.GRANT_EXTRA_ATTEMPTS,
    Permission.REVIEW_CPD_RECORDS,
    Permission.VIEW_STAFF_TRAINING,
    Permission.ASSIGN_TRAINING,
    Permission.VIEW_BOARD_REPORT,
    Permission.VIEW_CONTENT_REVIEWS,
}
# The headteacher and the school admin run the school's administration and answer for its data.
_ADMINISTRATION = {
    Permission.INVITE_PEOPLE,
    Permission.MANAGE_STAFF,
    Permission.VIEW_AUDIT_LOG,
    Permission.MANAGE_PERSONAL_DATA,
    Permission.MANAGE_SIGN_IN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TEACHING_ASSISTANT: frozenset(_LEARNER),
    Role.TEACHER: frozenset(_LEARNER),
    Role.SENCO: frozenset(_LEARNER | _LEADER | _SELF_ASSESSMENT_LEAD | {Permission.WRITE_SCHOOL_CONTENT}),
    Role.HEADTEACHER: frozenset(
        _LEARNER
        | _LEADER
        | _SELF_ASSESSMENT_LEAD
        | _ADMINISTRATION
        | {Permission.MANAGE_REQUIREMENTS, Permission.WRITE_SCHOOL_CONTENT}
    ),
    # The board reads the school's self-assessment; the SEND governor leads its own set (ROUND_OPENERS),
    # as does the chair of governors (an office: OFFICE_PERMISSIONS).
    Role.GOVERNOR: frozenset(_LEARNER | {Permission.VIEW_SELF_ASSESSMENT, Permission.VIEW_BOARD_REPORT}),
    Role.SEND_GOVERNOR: frozenset(_LEARNER | _SELF_ASSESSMENT_LEAD | {Permission.VIEW_BOARD_REPORT}),
    # Admins keep the staff list, and take the training their pathway requires (SEND essentials: office
    # staff meet pupils and parents too), so they keep their own CPD record. They are not invited to
    # answer the key questions, which are for teaching staff, leaders and the board.
    Role.SCHOOL_ADMIN: frozenset(
        {Permission.TAKE_TRAINING, Permission.VIEW_PEOPLE, Permission.VIEW_CONTENT_REVIEWS} | _ADMINISTRATION
    ),
    Role.LA_OFFICER: frozenset({Permission.VIEW_ORGANISATION_SUMMARY}),
}


# Who may give (and take away) which role at a school. A headteacher may grant any school role; a
# school administrator keeps the staff and governor lists but may not make anyone a headteacher,
# SENCO or administrator. Nobody grants themselves anything (`grant_refusal`), a school always keeps
# a headteacher (`removal_refusal`), and the chair of governors is an office set by those who keep the
# staff list (MANAGE_STAFF), never by the chair themselves. Every change is in the audit log.
ROLE_GRANTS: dict[Role, frozenset[Role]] = {
    Role.HEADTEACHER: frozenset(SCHOOL_ROLES),
    Role.SCHOOL_ADMIN: frozenset({Role.TEACHING_ASSISTANT, Role.TEACHER, Role.GOVERNOR, Role.SEND_GOVERNOR}),
}


class RoleGrantRefused(PermissionError):
    """A role change the person making it may not make; the message says why, for them."""


def grantable_roles(granter_roles: frozenset[Role] | set[Role]) -> frozenset[Role]:
    """The school roles someone holding these roles (at one school) may give and take away."""
    allowed: set[Role] = set()
    for role in granter_roles:
        allowed |= ROLE_GRANTS.get(role, frozenset())
    return frozenset(allowed)


def grant_refusal(granter_roles: frozenset[Role] | set[Role], role: Role, *, on_self: bool) -> str | None:
    """Why someone with these roles may not give `role` (to themselves if `on_self`), or None if they may."""
    if on_self:
        return "You cannot give yourself a role. Ask your headteacher"
    if role not in grantable_roles(granter_roles):
        return f"Only a headteacher can give someone the {role.label} role"
    return None


def removal_refusal(
    granter_roles: frozenset[Role] | set[Role], role: Role, *, on_self: bool, other_headteachers: int
) -> str | None:
    """Why someone with these roles may not take `role` away, or None if they may.

    `other_headteachers` counts the school's current headteachers besides the person losing the role.
    """
    if on_self and role in (Role.HEADTEACHER, Role.SCHOOL_ADMIN):
        return "You cannot remove your own headteacher or administrator role"
    if role not in grantable_roles(granter_roles):
        return f"Only a headteacher can remove the {role.label} role"
    if role is Role.HEADTEACHER and other_headteachers == 0:
        return "A school must keep a headteacher: give the role to someone else first"
    return None


def roles_at_school(user: User, school_id: int, today: date | None = None) -> frozenset[Role]:
    """The roles the person holds at the school today."""
    today = today or date.today()
    return frozenset(m.role for m in user.memberships if m.school_id == school_id and m.is_current(today))


def check_grant(*, granter: User, school: School, target_user_id: int | None, role: Role) -> None:
    """Raise RoleGrantRefused unless `granter` may give `role` at the school to that person."""
    refusal = grant_refusal(roles_at_school(granter, school.id), role, on_self=target_user_id == granter.id)
    if refusal is not None:
        raise RoleGrantRefused(refusal)


class Office(enum.StrEnum):
    """An office on a school's governing board, held with a governor role (`Membership.is_chair`)."""

    CHAIR_OF_GOVERNORS = "chair_of_governors"


# What an office adds to the roles its holder has at that school. The chair leads the board's own
# self-assessment, and only that set: ROUND_OPENERS names the office for governance alone.
OFFICE_PERMISSIONS: dict[Office, frozenset[Permission]] = {
    Office.CHAIR_OF_GOVERNORS: frozenset({Permission.LEAD_SELF_ASSESSMENT}),
}

# Which roles and offices may open (and so lead) a self-assessment round on each key-question set.
# The board's set is the headteacher's, the SEND governor's and the chair of governors'. A set the
# content adds that is not named here is opened by the school's leaders.
ROUND_OPENERS: dict[str, frozenset[Role | Office]] = {
    "governance": frozenset({Role.HEADTEACHER, Role.SEND_GOVERNOR, Office.CHAIR_OF_GOVERNORS}),
    "leadership": frozenset({Role.HEADTEACHER, Role.SENCO}),
    "ta-deployment": frozenset({Role.HEADTEACHER, Role.SENCO}),
    "parents-carers": frozenset({Role.HEADTEACHER, Role.SENCO}),
}
ROUND_OPENERS_OF_OTHER_SETS: frozenset[Role | Office] = frozenset({Role.HEADTEACHER, Role.SENCO})


def may_open_round(roles: frozenset[Role], set_id: str, offices: frozenset[Office] = frozenset()) -> bool:
    """Whether someone holding these roles and offices (in one school) may open a round on the set.

    The same rule says whether the lead of a round on the set may still lead it (see `Context`).
    """
    openers = ROUND_OPENERS.get(set_id, ROUND_OPENERS_OF_OTHER_SETS)
    by_role = any(role in openers and Permission.LEAD_SELF_ASSESSMENT in ROLE_PERMISSIONS[role] for role in roles)
    by_office = any(
        office in openers and Permission.LEAD_SELF_ASSESSMENT in OFFICE_PERMISSIONS[office] for office in offices
    )
    return by_role or by_office


@dataclass(frozen=True)
class Context:
    """Where the signed-in person is working now: one school, or one organisation for an officer."""

    key: str
    school: School | None
    organisation: Organisation | None
    roles: frozenset[Role]
    # Offices held there with a current governor role (the chair of governors).
    offices: frozenset[Office] = frozenset()

    @property
    def name(self) -> str:
        if self.school is not None:
            return self.school.name
        assert self.organisation is not None
        return self.organisation.name

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS[role]
        for office in self.offices:
            granted |= OFFICE_PERMISSIONS[office]
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def may_lead_set(self, set_id: str) -> bool:
        """Whether the person may open a round on the set here, and lead one they opened."""
        return may_open_round(self.roles, set_id, self.offices)

    @property
    def role_labels(self) -> list[str]:
        return [role.label for role in sorted(self.roles, key=list(Role).index)]


def contexts_for(memberships: list[Membership], today: date) -> list[Context]:
    """Group a person's current memberships into the schools and organisations they can work in."""
    grouped: dict[str, tuple[School | None, Organisation | None, set[Role], set[Office]]] = {}
    for membership in memberships:
        if not membership.is_current(today):
            continue
        if membership.school_id is not None:
            key = f"school:{membership.school_id}"
            entry = grouped.setdefault(key, (membership.school, None, set(), set()))
        else:
            key = f"organisation:{membership.organisation_id}"
            entry = grouped.setdefault(key, (None, membership.organisation, set(), set()))
        entry[2].add(membership.role)
        if membership.role in GOVERNOR_ROLES and membership.is_chair:
            entry[3].add(Office.CHAIR_OF_GOVERNORS)
    contexts = [
        Context(key, school, org, frozenset(roles), frozenset(offices))
        for key, (school, org, roles, offices) in grouped.items()
    ]
    return sorted(contexts, key=lambda context: context.name)


def available_contexts() -> list[Context]:
    if "available_contexts" not in g:
        if not current_user.is_authenticated:
            g.available_contexts = []
        else:
            g.available_contexts = contexts_for(current_user.memberships, date.today())
    return g.available_contexts


def current_context() -> Context | None:
    """The context chosen in the session, falling back to the person's first one."""
    contexts = available_contexts()
    if not contexts:
        return None
    chosen = session.get("context")
    for context in contexts:
        if context.key == chosen:
            return context
    return contexts[0]


def current_school() -> School:
    """The school the person is working in; views that need one are guarded by school permissions."""
    context = current_context()
    if context is None or context.school is None:
        abort(403)
    return context.school


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone, signed in or not."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def requires(*permissions: Permission) -> Callable[[Callable], Callable]:
    """Protect a view: signed in, and (if any are named) holding every permission in the current context.

    Signed out answers with the sign-in page; signed in without the permission answers 403.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if permissions:
                context = current_context()
                if context is None or not all(context.can(p) for p in permissions):
                    abort(403)
            return view(*args, **kwargs)

        guarded.access = "protected"  # type: ignore[attr-defined]
        guarded.required_permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return guarded

    return decorate
