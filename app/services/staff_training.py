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
from app.models import Assignment, Membership, ModuleProgress, Role, User
from app.services.exports import spreadsheet_safe
from app.services.requirements import PersonalRequirement, personal_requirements, requirements_for_schools

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


@dataclass(frozen=True, slots=True)
class StaffMember:
    """What the dashboard shows and checks of a person: plain values, so a worked-out dashboard can be kept."""

    id: int
    name: str
    email: str
    active: bool
    qualified_teacher: bool
    induction_completed: bool | None = None
    senco_over_12_months_before: bool | None = None


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


@dataclass
class Dashboard:
    module_ids: list[str]
    rows: list[PersonRow]
    today: date
    # When each person started each of their roles, and their progress by module: for the statutory checks.
    role_started: dict[int, dict[Role, date]] = field(default_factory=dict)
    progress: dict[int, dict[str, ProgressFacts]] = field(default_factory=dict)

    def status_counts(self) -> Counter:
        return Counter(cell.status for row in self.rows for cell in row.cells.values())

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


def _staff_by_school(school_ids: list[int], today: date) -> dict[int, dict[int, tuple[StaffMember, dict[Role, date]]]]:
    """school -> person -> (the person, when they started each current role), in name order. One query,
    of plain rows: building thousands of ORM objects was most of an organisation's dashboard time."""
    rows = db.session.execute(
        select(
            Membership.school_id,
            Membership.role,
            Membership.started_on,
            User.id,
            User.name,
            User.email,
            User.active,
            User.qualified_teacher,
            User.induction_completed,
            User.senco_over_12_months_before,
        )
        .join(User, User.id == Membership.user_id)
        .where(Membership.school_id.in_(school_ids), Membership.is_current(today))
        .order_by(User.name, User.id)
    )
    by_school: dict[int, dict[int, tuple[StaffMember, dict[Role, date]]]] = {school_id: {} for school_id in school_ids}
    for school_id, role, started_on, user_id, name, email, active, qualified, induction, experienced in rows:
        people = by_school[school_id]
        if user_id not in people:
            member = StaffMember(user_id, name, email, bool(active), bool(qualified), induction, experienced)
            people[user_id] = (member, {})
        roles = people[user_id][1]
        roles[role] = min(roles.get(role, started_on), started_on)
    return by_school


def school_people(school_id: int, today: date) -> list[tuple[StaffMember, dict[Role, date]]]:
    """Everyone with a current role at the school, with when they started each role. One query."""
    return list(_staff_by_school([school_id], today)[school_id].values())


def build_dashboard(catalogue: Catalogue, school_id: int, today: date | None = None) -> Dashboard:
    """Every person at the school against every module they must complete. Four queries in all."""
    return build_dashboards(catalogue, [school_id], today)[school_id]


def build_dashboards(catalogue: Catalogue, school_ids: list[int], today: date | None = None) -> dict[int, Dashboard]:
    """The dashboards of many schools in the same four queries as one (for an organisation's view)."""
    today = today or date.today()
    requirements = requirements_for_schools(catalogue, school_ids)
    staff = _staff_by_school(school_ids, today) if school_ids else {}
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
    order = {module_id: index for index, module_id in enumerate(catalogue.modules)}
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
                status, when = status_for(requirement, theirs.get(module_id), today)
                row.cells[module_id] = Cell(status, when, requirement.assigned)
                columns.add(module_id)
            rows.append(row)
        module_ids = sorted(columns, key=lambda module_id: order.get(module_id, len(order)))
        dashboards[school_id] = Dashboard(module_ids, rows, today, role_started, school_progress)
    return dashboards


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
            status=status if status in {s.value for s in TrainingStatus} else "",
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
    if chosen.status:
        rows = [row for row in rows if any(cell.status.value == chosen.status for cell in row.cells.values())]
    if chosen.search:
        needle = chosen.search.lower()
        rows = [row for row in rows if needle in row.user.name.lower()]
    if chosen.sort == "-name":
        rows = sorted(rows, key=lambda row: row.user.name.lower(), reverse=True)
    elif chosen.sort == "attention":
        rows = sorted(rows, key=lambda row: (-sum(c.status.needs_action for c in row.cells.values()), row.user.name))
    columns = [m for m in dashboard.module_ids if any(m in row.cells for row in rows)]
    return Dashboard(columns, rows, dashboard.today, dashboard.role_started, dashboard.progress)


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
