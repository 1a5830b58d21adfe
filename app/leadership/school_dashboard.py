"""A school's staff training dashboard and its counts, read from the requirement projection.

The statuses come from the database (`progress_projection.resolved`), so no person's requirements are
worked out in Python here: the rows are only turned into the cells on screen. The counts a leader and
the governing board read (by role, by status, by module) are grouped queries, whatever the size of the
school. The Python rules (`staff_training.build_dashboards`) stay as the oracle: with
`TRAINING_SNAPSHOT_VERIFY` on (the test settings) every result is compared with theirs
(app/leadership/snapshots.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, and_, case, cast, exists, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from app.content.model import Catalogue
from app.extensions import db
from app.leadership import progress_projection as projection
from app.leadership import statutory
from app.leadership.staff_training import (
    NEEDS_ACTION,
    Cell,
    Dashboard,
    PersonRow,
    ProgressFacts,
    TrainingStatus,
    column_groups,
)
from app.learning import requirements_for_schools
from app.models import Membership, ModuleProgress, Role
from app.models.people import GOVERNOR_ROLES
from app.people import staff_by_school

COMPLETED = TrainingStatus.COMPLETED.value
# The modules whose progress the statutory checks read beyond the cells: the SEND governor's module
# counts when a SEND governor has done it, whether or not it is required of them.
CHECKED_MODULES = (statutory.SEND_GOVERNOR_MODULE,)


@dataclass(frozen=True)
class ModuleCompletion:
    completed: int
    required: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.completed / self.required) if self.required else None


@dataclass(frozen=True)
class SchoolCounts:
    """What a school's leaders and board read as numbers, each grouped by the database."""

    role_summary: tuple[dict, ...]  # per role: people, required, completed, attention (needing action)
    staff_role_summary: tuple[dict, ...]  # the same, of the people who hold a staff role (the board's report)
    people_counts: dict[str, int]  # people with a module in each status, and how many need to act
    status_counts: Counter  # modules in each status
    completion: dict[str, ModuleCompletion]  # per module: how many of those it is required of completed it


def dashboards(catalogue: Catalogue, school_ids: list[int], today: date) -> dict[int, Dashboard]:
    """Each school's dashboard: its people (in name order) and their cells, as the database resolves them.
    Four queries, however many people and schools."""
    requirements = requirements_for_schools(catalogue, school_ids)
    staff = staff_by_school(school_ids, today) if school_ids else {}
    resolved = projection.resolved(school_ids, today)
    r = resolved.c
    cells: dict[tuple[int, int], dict[str, Cell]] = defaultdict(dict)
    for school_id, user_id, module_id, status, status_date, assigned, completed_on in db.session.execute(
        select(r.school_id, r.user_id, r.module_id, r.status, r.status_date, r.assigned, r.completed_on)
    ):
        if module_id in catalogue.modules:
            when, completed = projection.as_date(status_date), projection.as_date(completed_on)
            cells[(school_id, user_id)][module_id] = Cell(TrainingStatus(status), when, bool(assigned), completed)
    checked: dict[int, dict[str, ProgressFacts]] = defaultdict(dict)
    for user_id, module_id, completed_at in db.session.execute(
        select(ModuleProgress.user_id, ModuleProgress.module_id, ModuleProgress.completed_at).where(
            ModuleProgress.module_id.in_(CHECKED_MODULES),
            ModuleProgress.user_id.in_(select(Membership.user_id).where(Membership.school_id.in_(school_ids))),
        )
    ):
        checked[user_id][module_id] = ProgressFacts(completed_at, True)
    role_order = {role: index for index, role in enumerate(Role)}
    result = {}
    for school_id in school_ids:
        rows, role_started, progress, columns = [], {}, {}, set()
        for person, roles_started in staff.get(school_id, {}).values():
            row = PersonRow(person, sorted(roles_started, key=role_order.__getitem__), cells[(school_id, person.id)])
            rows.append(row)
            columns.update(row.cells)
            role_started[person.id] = roles_started
            progress[person.id] = checked.get(person.id, {})
        groups = column_groups(catalogue, requirements[school_id], columns)
        module_ids = [module_id for group in groups for module_id in group.module_ids]
        for row in rows:  # a person's modules in the order of the columns
            row.cells = {module_id: row.cells[module_id] for module_id in module_ids if module_id in row.cells}
        result[school_id] = Dashboard(module_ids, rows, today, role_started, progress, groups)
    return result


def counts(catalogue: Catalogue, school_ids: list[int], today: date) -> dict[int, SchoolCounts]:
    """Each school's counts, in one statement however many people and schools: grouped queries joined
    by UNION ALL, each row tagged with what it counts, over the resolved rows as a common table
    expression, which PostgreSQL works out once for them all (for a school of 300: 22 ms, against 34 ms
    as a subquery in each). A school's own modules count when `catalogue` is the school's
    (app/school_content/catalogue.py)."""
    resolved = projection.resolved(school_ids, today)
    r = resolved.c
    known = sorted(catalogue.modules)
    scoped = select(r.school_id, r.user_id, r.module_id, r.status).where(r.module_id.in_(known)).cte("scoped")
    s = scoped.c
    zero = literal(0)
    # Requirements by module and status.
    by_module = select(
        literal(_BY_MODULE), s.school_id, s.module_id, s.status, func.count(), zero, zero, zero
    ).group_by(s.school_id, s.module_id, s.status)
    # People with a module in each status, and with any needing action, each person counted once.
    by_status = select(
        literal(_PEOPLE), s.school_id, s.status, _NO_KEY, func.count(s.user_id.distinct()), zero, zero, zero
    ).group_by(s.school_id, s.status)
    needing = (
        select(
            literal(_PEOPLE),
            s.school_id,
            literal(NEEDS_ACTION),
            _NO_KEY,
            func.count(s.user_id.distinct()),
            zero,
            zero,
            zero,
        )
        .where(projection.needs_action(s.status))
        .group_by(s.school_id)
    )
    by_module_rows: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    people_counts: dict[int, dict[str, int]] = defaultdict(lambda: {NEEDS_ACTION: 0})
    roles: dict[int, dict[tuple[Role, bool], tuple[int, ...]]] = defaultdict(dict)
    query = union_all(by_module, by_status, needing, _by_role(school_ids, today, scoped))
    for kind, school_id, key, second_key, *figures in db.session.execute(query):
        if kind == _BY_MODULE:
            by_module_rows[school_id][key][second_key] += figures[0]
        elif kind == _PEOPLE:
            people_counts[school_id][key] = figures[0]
        else:
            roles[school_id][(Role(key), second_key == "staff")] = tuple(int(figure or 0) for figure in figures)

    result = {}
    for school_id in school_ids:
        modules = by_module_rows[school_id]
        status_counts: Counter = Counter()
        for statuses in modules.values():
            status_counts.update({TrainingStatus(status): cells for status, cells in statuses.items()})
        everyone, staff = _role_summaries(roles[school_id])
        result[school_id] = SchoolCounts(
            role_summary=everyone,
            staff_role_summary=staff,
            people_counts=dict(people_counts[school_id]),
            status_counts=status_counts,
            completion={
                module_id: ModuleCompletion(statuses.get(COMPLETED, 0), sum(statuses.values()))
                for module_id, statuses in modules.items()
            },
        )
    return result


_BY_MODULE, _PEOPLE, _BY_ROLE = "module", "people", "role"
_NO_KEY = cast(null(), String)


def _by_role(school_ids: list[int], today: date, scoped):
    """Per school, role and whether the person holds a staff role (the board's report leaves out those
    who are governors only): people, requirements, completed, needing action."""
    other = aliased(Membership)
    holds_staff_role = (
        exists()
        .where(
            other.school_id == Membership.school_id,
            other.user_id == Membership.user_id,
            other.is_current(today),
            other.role.not_in(sorted(GOVERNOR_ROLES)),
        )
        .label("staff")
    )
    roles = (
        select(Membership.school_id, Membership.user_id, Membership.role, holds_staff_role)
        .where(Membership.school_id.in_(school_ids), Membership.is_current(today))
        .distinct()
        .subquery("roles")
    )
    s = scoped.c
    per_person = (
        select(
            s.school_id,
            s.user_id,
            func.count().label("required"),
            func.sum(case((s.status == COMPLETED, 1), else_=0)).label("completed"),
            func.sum(case((projection.needs_action(s.status), 1), else_=0)).label("attention"),
        )
        .group_by(s.school_id, s.user_id)
        .subquery("per_person")
    )
    p = per_person.c
    return (
        select(
            literal(_BY_ROLE),
            roles.c.school_id,
            cast(roles.c.role, String),
            case((roles.c.staff, literal("staff")), else_=literal("other")),
            func.count(),
            func.coalesce(func.sum(p.required), 0),
            func.coalesce(func.sum(p.completed), 0),
            func.coalesce(func.sum(p.attention), 0),
        )
        .select_from(roles.outerjoin(per_person, and_(p.school_id == roles.c.school_id, p.user_id == roles.c.user_id)))
        .group_by(roles.c.school_id, roles.c.role, roles.c.staff)
    )


def _role_summaries(groups: dict[tuple[Role, bool], tuple[int, ...]]) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    """The role summary of everyone, and of the people with a staff role, in the order of the roles."""
    everyone, staff_only = [], []
    for role in Role:
        as_staff, others = groups.get((role, True)), groups.get((role, False))
        if as_staff or others:
            both = [a + b for a, b in zip(as_staff or (0, 0, 0, 0), others or (0, 0, 0, 0), strict=True)]
            everyone.append(_summary(role, *both))
        if as_staff:
            staff_only.append(_summary(role, *as_staff))
    return tuple(everyone), tuple(staff_only)


def _summary(role: Role, people: int, required: int, completed: int, attention: int) -> dict:
    return {"role": role, "people": people, "required": required, "completed": completed, "attention": attention}
