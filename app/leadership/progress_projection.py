"""The requirement projection: kept in step with every write, and read with set-based SQL.

`requirement_progress` (app/models/progress.py) holds what each membership and assignment asks of a
person, with their progress. The rules that need the content catalogue (a role's pathway, a school's
settings, the windows, the renewals) run in Python when a row is written, once per change; the rules
that depend on today (which roles are held today, overdue, due soon, expired) run in SQL when it is
read. So an organisation's figures are a few grouped queries however many schools it has, and the
figures are right on any day without being rebuilt.

`rebuild` writes the rows of some people or whole schools; app/leadership/revisions.py calls it in the
same transaction as the write (before COMMIT), and the migration that made the table calls it for
everyone. `resolved` is the SQL twin of `personal_requirements` + `status_for`: one row per person and
required module at each school, with the status and its date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import and_, case, delete, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from app.content.model import Catalogue
from app.leadership.staff_training import DUE_SOON_DAYS, TrainingStatus, add_months
from app.learning import requirements_for_schools
from app.models import Assignment, Membership, ModuleProgress, RequirementProgress
from app.school_content import published_module_ids

ASSIGNED = "assigned"
BATCH = 5_000
_table = RequirementProgress.__table__


def rebuild(
    session: Session,
    catalogue: Catalogue,
    *,
    school_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
    everyone: bool = False,
) -> int:
    """Rewrite the rows of whole schools (a school's requirement settings changed) and of some people
    (their roles, assignments or progress changed), or of `everyone`. Returns the rows written."""
    school_ids, user_ids = sorted(set(school_ids)), sorted(set(user_ids))
    if not (everyone or school_ids or user_ids):
        return 0
    if everyone:
        session.execute(delete(_table))
        in_scope_membership = Membership.school_id.is_not(None)
        in_scope_assignment = literal(True)
    else:
        session.execute(delete(_table).where(or_(_table.c.school_id.in_(school_ids), _table.c.user_id.in_(user_ids))))
        in_scope_membership = and_(
            Membership.school_id.is_not(None),
            or_(Membership.school_id.in_(school_ids), Membership.user_id.in_(user_ids)),
        )
        in_scope_assignment = or_(Assignment.school_id.in_(school_ids), Assignment.user_id.in_(user_ids))
    memberships = session.execute(
        select(
            Membership.id,
            Membership.school_id,
            Membership.user_id,
            Membership.role,
            Membership.started_on,
            Membership.ended_on,
        ).where(in_scope_membership)
    ).all()
    assignments = session.execute(
        select(Assignment.school_id, Assignment.user_id, Assignment.module_id, Assignment.due_on).where(
            in_scope_assignment
        )
    ).all()
    people = {row.user_id for row in memberships} | {row.user_id for row in assignments}
    progress: dict[tuple[int, str], tuple] = {}
    for chunk in _chunks(sorted(people)):
        for user_id, module_id, completed_at, started in session.execute(
            select(
                ModuleProgress.user_id,
                ModuleProgress.module_id,
                ModuleProgress.completed_at,
                ModuleProgress.last_page_slug.is_not(None),
            ).where(ModuleProgress.user_id.in_(chunk))
        ):
            progress[(user_id, module_id)] = (completed_at, bool(started))
    schools = sorted({row.school_id for row in memberships} | {row.school_id for row in assignments})
    requirements: dict[int, dict] = {}
    # A school's published modules count as its catalogue does (app/school_content/catalogue.py).
    own_modules: dict[int, set[str]] = {}
    for chunk in _chunks(schools):
        own_modules.update(published_module_ids(chunk, session))
        requirements.update(requirements_for_schools(catalogue, chunk, session, own_modules))

    rows: list[dict] = []
    for membership_id, school_id, user_id, role, started_on, ended_on in memberships:
        del membership_id
        for requirement in requirements[school_id].get(getattr(role, "value", role), ()):
            if requirement.module_id not in catalogue.modules and requirement.module_id not in own_modules[school_id]:
                continue
            refresh = requirement.refresh_required_since
            rows.append(
                _row(
                    school_id,
                    user_id,
                    requirement.module_id,
                    getattr(role, "value", role),
                    started_on,
                    ended_on,
                    started_on + timedelta(days=requirement.window_days),
                    requirement.renew_every_months,
                    refresh,
                    progress.get((user_id, requirement.module_id)),
                )
            )
    for school_id, user_id, module_id, due_on in assignments:
        if module_id in catalogue.modules or module_id in own_modules[school_id]:
            rows.append(
                _row(
                    school_id,
                    user_id,
                    module_id,
                    ASSIGNED,
                    None,
                    None,
                    due_on,
                    None,
                    None,
                    progress.get((user_id, module_id)),
                )
            )
    for chunk in _chunks(rows, BATCH):
        session.execute(insert(_table), chunk)
    return len(rows)


def _row(school_id, user_id, module_id, source, from_on, until_on, due_on, renew, refresh, facts) -> dict:
    completed_at, started = facts if facts else (None, False)
    completed_on = completed_at.date() if completed_at is not None else None
    return {
        "school_id": school_id,
        "user_id": user_id,
        "module_id": module_id,
        "source": source,
        "from_on": from_on,
        "until_on": until_on,
        "due_on": due_on,
        "renew_every_months": renew,
        "refresh_on": refresh.date() if refresh is not None else None,
        "completed_at": completed_at,
        "completed_on": completed_on,
        "started": started,
        # status_for's rules that do not depend on the day, worked out once here.
        "older_version": bool(completed_at is not None and refresh is not None and completed_at < refresh),
        "expires_on": add_months(completed_on, renew) if completed_on is not None and renew else None,
    }


def _chunks(items: list, size: int = 900) -> Iterable[list]:
    # 900 stays under SQLite's limit of bound parameters in an IN list on old builds.
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolved(school_ids, today: date, module_ids: list[str] | None = None, user_ids=None) -> Subquery:
    """One row per person and required module at each school, as `personal_requirements` and
    `status_for` would give them on `today`: school_id, user_id, module_id, status, status_date,
    assigned, completed_on. `school_ids` may be a list or a subquery of ids; `module_ids` limits it to those modules
    and `user_ids` (a list or a query) to those people: each person and module is resolved on its own,
    so neither changes the rows that remain."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    rows = _table
    holds_role_today = and_(
        rows.c.source != ASSIGNED,
        rows.c.from_on <= today,
        or_(rows.c.until_on.is_(None), rows.c.until_on >= today),
    )
    # An assignment counts while the person has any role at the school.
    member_today = exists().where(
        Membership.school_id == rows.c.school_id,
        Membership.user_id == rows.c.user_id,
        Membership.is_current(today),
    )
    person_module = (rows.c.school_id, rows.c.user_id, rows.c.module_id)
    candidates = (
        select(
            rows,
            # The role with the tightest window gives the renewal and the refresh (an assignment only
            # when no role asks for the module); the due date is the earliest of them all.
            func.row_number()
            .over(partition_by=person_module, order_by=(rows.c.source == ASSIGNED, rows.c.due_on, rows.c.source))
            .label("rank"),
            func.min(rows.c.due_on).over(partition_by=person_module).label("due"),
            func.min(case((rows.c.source == ASSIGNED, rows.c.due_on)))
            .over(partition_by=person_module)
            .label("assigned_due"),
        )
        .where(rows.c.school_id.in_(school_ids), or_(holds_role_today, and_(rows.c.source == ASSIGNED, member_today)))
        .where(rows.c.module_id.in_(module_ids) if module_ids is not None else literal(True))
        .where(rows.c.user_id.in_(user_ids) if user_ids is not None else literal(True))
        .subquery("candidates")
    )
    c = candidates.c
    completed = c.completed_at.is_not(None)
    renews = c.expires_on.is_not(None)
    status = case(
        (and_(completed, c.older_version), TrainingStatus.OLDER_VERSION.value),
        (and_(completed, renews, c.expires_on < today), TrainingStatus.EXPIRED.value),
        (and_(completed, renews, c.expires_on <= soon), TrainingStatus.DUE_SOON.value),
        (completed, TrainingStatus.COMPLETED.value),
        (c.due < today, TrainingStatus.OVERDUE.value),
        (c.due <= soon, TrainingStatus.DUE_SOON.value),
        (c.started, TrainingStatus.IN_PROGRESS.value),
        else_=TrainingStatus.NOT_STARTED.value,
    )
    status_date = case(
        (and_(completed, c.older_version), c.refresh_on),
        (and_(completed, renews), c.expires_on),
        (completed, c.completed_on),
        else_=c.due,
    )
    assigned = or_(c.source == ASSIGNED, and_(c.assigned_due.is_not(None), c.assigned_due < c.due_on))
    return (
        select(
            c.school_id,
            c.user_id,
            c.module_id,
            status.label("status"),
            status_date.label("status_date"),
            assigned.label("assigned"),
            c.completed_on,
        )
        .where(c.rank == 1)
        .subquery("resolved")
    )


def needs_action(status_column):
    return status_column.in_([s.value for s in TrainingStatus if s.needs_action])


def current_people(school_ids, today: date) -> Subquery:
    """(school_id, user_id) of everyone with a role at the school today, once each."""
    return (
        select(Membership.school_id, Membership.user_id)
        .where(Membership.school_id.in_(school_ids), Membership.is_current(today))
        .distinct()
        .subquery("people")
    )


def as_date(value) -> date | None:
    """A date read back from a CASE or an aggregate over dates: SQLite returns those as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def group_rows(rows) -> dict:
    grouped: dict = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    return grouped
