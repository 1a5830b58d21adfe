"""The staff CPD dashboard: everyone at the school against what they must complete, from the projection.

It reads the progress projection (one row per person and module), never the ledger, and answers
in the same handful of queries however many people the school has.
"""

from __future__ import annotations

import calendar
import csv
import enum
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.learning import PersonalRequirement, personal_requirements, requirements_for_schools
from app.models import Assignment, Membership, ModuleProgress, Role
from app.people import StaffMember, staff_by_school
from app.platform import spreadsheet_safe

DUE_SOON_DAYS = 14


class TrainingStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    EXPIRED = "expired"
    OLDER_VERSION = "older_version"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def tag_class(self) -> str:
        return STATUS_TAGS[self]

    @property
    def needs_action(self) -> bool:
        return self in {TrainingStatus.OVERDUE, TrainingStatus.EXPIRED, TrainingStatus.OLDER_VERSION}


STATUS_LABELS = {
    TrainingStatus.NOT_STARTED: "Not started",
    TrainingStatus.IN_PROGRESS: "In progress",
    TrainingStatus.COMPLETED: "Completed",
    TrainingStatus.DUE_SOON: "Due soon",
    TrainingStatus.OVERDUE: "Overdue",
    TrainingStatus.EXPIRED: "Expired",
    TrainingStatus.OLDER_VERSION: "Done on an older version",
}
STATUS_TAGS = {
    TrainingStatus.NOT_STARTED: "govuk-tag--grey",
    TrainingStatus.IN_PROGRESS: "govuk-tag--light-blue",
    TrainingStatus.COMPLETED: "govuk-tag--green",
    TrainingStatus.DUE_SOON: "govuk-tag--yellow",
    TrainingStatus.OVERDUE: "govuk-tag--red",
    TrainingStatus.EXPIRED: "govuk-tag--orange",
    TrainingStatus.OLDER_VERSION: "govuk-tag--purple",
}


def add_months(day: date, months: int) -> date:
    """The same day so many months on (or back), kept within the month: 31 Jan + 1 month = 28 or 29 Feb."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def status_for(
    requirement: PersonalRequirement, progress: ProgressFacts | ModuleProgress | None, today: date
) -> tuple[TrainingStatus, date]:
    """The status of one requirement for one person, and the date that matters next (due or expiry)."""
    if progress is not None and progress.completed_at is not None:
        completed_on = progress.completed_at.date()
        refresh = requirement.refresh_required_since
        if refresh is not None and progress.completed_at < refresh:
            # The date it went out of date: when the school asked for the new version.
            return TrainingStatus.OLDER_VERSION, refresh.date()
        if requirement.renew_every_months:
            expires_on = add_months(completed_on, requirement.renew_every_months)
            if expires_on < today:
                return TrainingStatus.EXPIRED, expires_on
            if expires_on <= today + timedelta(days=DUE_SOON_DAYS):
                return TrainingStatus.DUE_SOON, expires_on
            return TrainingStatus.COMPLETED, expires_on
        return TrainingStatus.COMPLETED, completed_on
    if requirement.due_on < today:
        return TrainingStatus.OVERDUE, requirement.due_on
    if requirement.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return TrainingStatus.DUE_SOON, requirement.due_on
    if progress is not None and progress.started:
        return TrainingStatus.IN_PROGRESS, requirement.due_on
    return TrainingStatus.NOT_STARTED, requirement.due_on


@dataclass(frozen=True, slots=True)
class ProgressFacts:
    """What the statuses need to know of a person's progress on a module (a ModuleProgress will do too)."""

    completed_at: datetime | None
    started: bool


@dataclass(frozen=True)
class Cell:
    status: TrainingStatus
    date: date
    assigned: bool
    # When the person completed the module, if they have; `date` is then the renewal date (if any).
    completed_on: date | None = None

    @property
    def date_label(self) -> str:
        """The date, saying what it is: a bare date beside "Completed" was read as the completion date
        when it was the renewal date."""
        when = _day(self.date)
        if self.status is TrainingStatus.OLDER_VERSION:
            return f"asked again {when}"
        if self.completed_on is not None:
            done = f"completed {_day(self.completed_on)}"
            if self.date == self.completed_on:
                return done
            return f"{done}, {'expired' if self.status is TrainingStatus.EXPIRED else 'renew by'} {when}"
        return f"{'was due' if self.status is TrainingStatus.OVERDUE else 'due'} {when}"


def _day(day: date) -> str:
    return day.strftime("%-d %b %Y")


@dataclass
class PersonRow:
    user: StaffMember
    roles: list[Role]
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def role_labels(self) -> str:
        return ", ".join(role.label for role in self.roles)

    def cells_in(self, module_ids: list[str]) -> list[Cell | None]:
        """The person's cells in the order of the columns, None where a module is not required of them."""
        return [self.cells.get(module_id) for module_id in module_ids]

    def count(self, status: TrainingStatus) -> int:
        return sum(cell.status is status for cell in self.cells.values())


@dataclass(frozen=True)
class ColumnGroup:
    title: str
    module_ids: tuple[str, ...]


SHARED_GROUP = "Required of several roles"
OTHER_GROUP = "Optional or assigned"


def column_groups(catalogue: Catalogue, requirements: dict[str, list], columns: set[str]) -> tuple[ColumnGroup, ...]:
    """The dashboard's columns grouped by pathway, so that a leader reads a role's modules together.

    A module that the school requires of more than one role comes first, under one heading, rather than
    repeated under each pathway; then each pathway's own modules, in the order of the roles; then the
    modules no role requires that someone has been assigned. Within a group, the catalogue's order."""
    order = {module_id: index for index, module_id in enumerate(catalogue.modules)}
    required_of: dict[str, list[str]] = defaultdict(list)
    for role in Role:
        for requirement in requirements.get(role.value, []):
            if requirement.module_id in columns and role.value not in required_of[requirement.module_id]:
                required_of[requirement.module_id].append(role.value)
    shared = [m for m in columns if len(required_of.get(m, [])) > 1]
    groups = [ColumnGroup(SHARED_GROUP, tuple(sorted(shared, key=order.__getitem__)))] if shared else []
    for role in Role:
        own = [m for m in columns if required_of.get(m) == [role.value]]
        if own:
            pathway = catalogue.pathways.get(role.value)
            title = pathway.title if pathway else role.label
            groups.append(ColumnGroup(title, tuple(sorted(own, key=order.__getitem__))))
    others = [m for m in columns if not required_of.get(m)]
    if others:
        groups.append(ColumnGroup(OTHER_GROUP, tuple(sorted(others, key=lambda m: order.get(m, len(order))))))
    return tuple(groups)


@dataclass
class Dashboard:
    module_ids: list[str]
    rows: list[PersonRow]
    today: date
    # When each person started each of their roles, and their progress by module: for the statutory checks.
    role_started: dict[int, dict[Role, date]] = field(default_factory=dict)
    progress: dict[int, dict[str, ProgressFacts]] = field(default_factory=dict)
    # The columns under their pathway headings, in order; `module_ids` is these, flattened.
    groups: tuple[ColumnGroup, ...] = ()

    def groups_shown(self) -> list[ColumnGroup]:
        """The groups cut down to the columns shown (after a filter), leaving out any left empty."""
        shown = set(self.module_ids)
        cut = [ColumnGroup(g.title, tuple(m for m in g.module_ids if m in shown)) for g in self.groups]
        return [group for group in cut if group.module_ids]

    def status_counts(self) -> Counter:
        return Counter(cell.status for row in self.rows for cell in row.cells.values())

    def people_counts(self) -> dict[str, int]:
        """How many people have at least one module in each status, and how many need action: the
        figures a leader follows to the people (the dashboard filtered by that status)."""
        counts: Counter = Counter()
        for row in self.rows:
            statuses = {cell.status for cell in row.cells.values()}
            counts.update(status.value for status in statuses)
            counts[NEEDS_ACTION] += any(status.needs_action for status in statuses)
        return dict(counts)

    def role_summary(self) -> list[dict]:
        """Per role: people, requirements, completed, overdue or needing action."""
        summary = []
        for role in Role:
            members = [row for row in self.rows if role in row.roles]
            if not members:
                continue
            cells = [cell for row in members for cell in row.cells.values()]
            summary.append(
                {
                    "role": role,
                    "people": len(members),
                    "required": len(cells),
                    "completed": sum(c.status is TrainingStatus.COMPLETED for c in cells),
                    "attention": sum(c.status.needs_action for c in cells),
                }
            )
        return summary


def build_dashboard(catalogue: Catalogue, school_id: int, today: date | None = None) -> Dashboard:
    """Every person at the school against every module they must complete. Four queries in all."""
    return build_dashboards(catalogue, [school_id], today)[school_id]


def build_dashboards(catalogue: Catalogue, school_ids: list[int], today: date | None = None) -> dict[int, Dashboard]:
    """The dashboards of many schools in the same four queries as one (for an organisation's view)."""
    today = today or date.today()
    requirements = requirements_for_schools(catalogue, school_ids)
    staff = staff_by_school(school_ids, today) if school_ids else {}
    assignments: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    progress: dict[int, dict[str, ProgressFacts]] = defaultdict(dict)
    if any(staff.values()):
        for assignment in db.session.scalars(select(Assignment).where(Assignment.school_id.in_(school_ids))):
            assignments[(assignment.school_id, assignment.user_id)].append(assignment)
        # Only the columns the statuses need, as plain rows.
        # "Started" is whether a page has been read (last_page_slug is set with the first one), so the
        # JSON list of pages read is never decoded here.
        query = select(
            ModuleProgress.user_id,
            ModuleProgress.module_id,
            ModuleProgress.completed_at,
            ModuleProgress.last_page_slug.is_not(None).label("started"),
        ).where(ModuleProgress.user_id.in_(_members_of(school_ids)))
        for user_id, module_id, completed_at, started in db.session.execute(query):
            progress[user_id][module_id] = ProgressFacts(completed_at, bool(started))
    role_order = {role: index for index, role in enumerate(Role)}
    dashboards = {}
    for school_id in school_ids:
        rows: list[PersonRow] = []
        columns: set[str] = set()
        role_started: dict[int, dict[Role, date]] = {}
        school_progress: dict[int, dict[str, ProgressFacts]] = {}
        for person, roles_started in staff.get(school_id, {}).values():
            role_started[person.id] = roles_started
            theirs = school_progress[person.id] = progress.get(person.id, {})
            mine = personal_requirements(
                requirements[school_id],
                {role.value: started for role, started in roles_started.items()},
                assignments.get((school_id, person.id), []),
            )
            row = PersonRow(user=person, roles=sorted(roles_started, key=role_order.__getitem__))
            for module_id, requirement in mine.items():
                if module_id not in catalogue.modules:
                    continue
                facts = theirs.get(module_id)
                status, when = status_for(requirement, facts, today)
                completed_on = facts.completed_at.date() if facts is not None and facts.completed_at else None
                row.cells[module_id] = Cell(status, when, requirement.assigned, completed_on)
                columns.add(module_id)
            rows.append(row)
        groups = column_groups(catalogue, requirements[school_id], columns)
        module_ids = [module_id for group in groups for module_id in group.module_ids]
        dashboards[school_id] = Dashboard(module_ids, rows, today, role_started, school_progress, groups)
    return dashboards


NEEDS_ACTION = "needs_action"


@dataclass(frozen=True)
class DashboardFilter:
    role: str = ""
    status: str = ""
    search: str = ""
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> DashboardFilter:
        role = args.get("role", "")
        status = args.get("status", "")
        sort = args.get("sort", "name")
        return cls(
            role=role if role in {r.value for r in Role} else "",
            status=status if status in {s.value for s in TrainingStatus} | {NEEDS_ACTION} else "",
            search=(args.get("search") or "").strip()[:100],
            sort=sort if sort in {"name", "-name", "attention"} else "name",
        )

    def as_args(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value and not (key == "sort" and value == "name")}


def apply_filter(dashboard: Dashboard, chosen: DashboardFilter) -> Dashboard:
    """The rows and columns a leader asked to see: the same for the page and for its CSV."""
    rows = dashboard.rows
    if chosen.role:
        rows = [row for row in rows if Role(chosen.role) in row.roles]
    if chosen.status == NEEDS_ACTION:
        rows = [row for row in rows if any(cell.status.needs_action for cell in row.cells.values())]
    elif chosen.status:
        rows = [row for row in rows if any(cell.status.value == chosen.status for cell in row.cells.values())]
    if chosen.search:
        needle = chosen.search.lower()
        rows = [row for row in rows if needle in row.user.name.lower()]
    if chosen.sort == "-name":
        rows = sorted(rows, key=lambda row: row.user.name.lower(), reverse=True)
    elif chosen.sort == "attention":
        rows = sorted(rows, key=lambda row: (-sum(c.status.needs_action for c in row.cells.values()), row.user.name))
    columns = [m for m in dashboard.module_ids if any(m in row.cells for row in rows)]
    return Dashboard(columns, rows, dashboard.today, dashboard.role_started, dashboard.progress, dashboard.groups)


def dashboard_csv(catalogue: Catalogue, dashboard: Dashboard) -> str:
    """The dashboard as shown, as CSV. Cells that a spreadsheet would run as formulas are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Roles", *(catalogue.modules[m].title for m in dashboard.module_ids)])
    for row in dashboard.rows:
        cells = []
        for module_id in dashboard.module_ids:
            cell = row.cells.get(module_id)
            cells.append(f"{cell.status.label} ({cell.date.isoformat()})" if cell else "Not required")
        writer.writerow([spreadsheet_safe(row.user.name), ", ".join(r.label for r in row.roles), *cells])
    return out.getvalue()


def _members_of(school_ids: list[int]):
    return select(Membership.user_id).where(Membership.school_id.in_(school_ids))
