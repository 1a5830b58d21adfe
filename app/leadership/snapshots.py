"""What a school's staff training dashboard shows, worked out once for each change rather than on every visit.

The statuses and the counts come from the requirement projection (app/leadership/school_dashboard.py):
the database resolves every person's requirements and groups the counts, and Python only turns the rows
into cells and runs the statutory checks over them. The result depends only on the school's data, the
content and the date, so it is kept in memory under the school's `training_revision` (changed in the
same transaction as any change to that data: app/leadership/revisions.py), the date and the content
catalogue. A visit after a change works it out afresh; other visits reuse it. Each server process keeps
its own, up to `TRAINING_SNAPSHOT_CACHE_SIZE` entries: a school's whole dashboard for its leaders
(`for_school`), and its totals alone for an organisation's view (`figures_for_schools`).

With `TRAINING_SNAPSHOT_VERIFY` on (the test settings), every result, kept or fresh, is compared with
what the Python rules give (`work_out_by_rules`: `build_dashboards` and `status_for`, the oracle). A
fresh result that differs raises `ProjectionDiffers` (a write did not rebuild the projection); a kept
one, `StaleTrainingSnapshot` (a change did not change the revision).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from cachetools import LRUCache
from flask import current_app
from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.leadership import check_state, school_dashboard, senco_rules, statutory
from app.leadership.school_dashboard import ModuleCompletion
from app.leadership.staff_training import Dashboard, TrainingStatus, add_months, build_dashboards
from app.models import Membership, ModuleProgress, Role, School
from app.models.people import GOVERNOR_ROLES

CHART_MONTHS = 12
_lock = threading.Lock()


class StaleTrainingSnapshot(AssertionError):
    """A kept result differs from the data: a change did not change the school's training revision."""


class ProjectionDiffers(AssertionError):
    """The projection's figures differ from the Python rules': a write did not rebuild its rows."""


@dataclass(frozen=True)
class SchoolTraining:
    """Everything the dashboard, the board report and an organisation's view show of a school's training."""

    dashboard: Dashboard
    checks: tuple[check_state.Check, ...]
    by_month: tuple[tuple[date, int], ...]  # modules completed in each of the last CHART_MONTHS months
    completion: dict[str, ModuleCompletion]  # per module: how many of those who must have completed it
    role_summary: tuple[dict, ...]
    status_counts: Counter
    people_counts: dict[str, int]  # people with a module in each status, and needing action
    staff_role_summary: tuple[dict, ...]  # the role summary of those with a staff role: the board's report

    def comparable(self) -> tuple:
        """What the pages show of it, for comparing the database's figures with the Python rules'."""
        dashboard = self.dashboard
        return (
            dashboard.module_ids,
            dashboard.groups,
            [(row.user, row.roles, row.cells) for row in dashboard.rows],
            self.checks,
            self.by_month,
            self.completion,
            self.role_summary,
            self.status_counts,
            {status: people for status, people in self.people_counts.items() if people},
            self.staff_role_summary,
        )


@dataclass(frozen=True)
class SchoolFigures:
    """A school's training as an organisation sees it: totals and check states, never a name."""

    people: int
    completion: dict[str, ModuleCompletion]
    checks: tuple[tuple[str, check_state.CheckState, date | None], ...]  # (title, state, red on)

    @classmethod
    def of(cls, training: SchoolTraining) -> SchoolFigures:
        return cls(
            people=len(training.dashboard.rows),
            completion=training.completion,
            checks=tuple((check.title, check.state, check.red_on) for check in training.checks),
        )


def for_school(catalogue: Catalogue, school: School) -> SchoolTraining:
    """The school's whole dashboard, for its own leaders."""
    return _kept(catalogue, [school], "school", lambda training: training)[school.id]


def figures_for_schools(catalogue: Catalogue, schools: list[School]) -> dict[int, SchoolFigures]:
    """Each school's totals, for an organisation's view. Only the totals are kept: a few objects a
    school rather than one a person and module, so keeping every school in an organisation costs
    little memory and little of the garbage collector's time."""
    return _kept(catalogue, schools, "figures", SchoolFigures.of)


def kept(schools: list[School], kind: str, work_out, catalogue: Catalogue, today: date) -> dict[int, Any]:
    """What `work_out(schools)` gives for each school, reused while the school's revision, the date and
    the content stand; only the schools not kept (or changed since) are worked out, together. These
    are a few small objects a school, kept apart from the leaders' whole dashboards, and many more of
    them (`ORGANISATION_FIGURES_CACHE_SIZE`), so that an authority of 500 schools stays kept."""
    cache = _cache("organisation_figures", "ORGANISATION_FIGURES_CACHE_SIZE")
    found: dict[int, Any] = {}
    with _lock:
        for school in schools:
            entry = cache.get(_key(kind, school, today)) if cache is not None else None
            if entry is not None and entry[0] is catalogue:
                found[school.id] = entry[1]
    missing = [school for school in schools if school.id not in found]
    if missing:
        worked_out = work_out(missing)
        if cache is not None:
            with _lock:
                for school in missing:
                    cache[_key(kind, school, today)] = (catalogue, worked_out[school.id])
        found.update(worked_out)
    return found


def _kept(catalogue: Catalogue, schools: list[School], kind: str, keep) -> dict[int, Any]:
    """What `keep` makes of each school's training, reused while the school's revision and the date
    stand; the schools not already kept are worked out together, in a fixed number of queries."""
    today = date.today()
    cache = _cache()
    found: dict[int, Any] = {}
    trainings: dict[int, SchoolTraining] = {}
    with _lock:
        for school in schools:
            kept = cache.get(_key(kind, school, today)) if cache is not None else None
            if kept is not None and kept[0] is catalogue:
                found[school.id] = kept[1]
    missing = [school for school in schools if school.id not in found]
    if missing:
        trainings = _work_out(catalogue, missing, today)
        worked_out = {school_id: keep(training) for school_id, training in trainings.items()}
        if cache is not None:
            with _lock:
                for school in missing:
                    cache[_key(kind, school, today)] = (catalogue, worked_out[school.id])
        found.update(worked_out)
    if schools and current_app.config.get("TRAINING_SNAPSHOT_VERIFY"):
        _compare_with_the_rules(catalogue, schools, today, kind, keep, found, trainings)
    return found


def _compare_with_the_rules(catalogue, schools, today, kind, keep, found, fresh) -> None:
    """The test settings' check: each school's figures, kept or fresh, are what the Python rules give
    on the data as it is now."""
    by_rules = work_out_by_rules(catalogue, schools, today)
    for school in schools:
        expected = by_rules[school.id]
        if school.id in fresh and fresh[school.id].comparable() != expected.comparable():
            raise ProjectionDiffers(
                f"{school.name}: the projection's dashboard differs from the rules'.\n"
                f"projection: {fresh[school.id].comparable()!r}\nrules: {expected.comparable()!r}"
            )
        if kind == "school":
            same = found[school.id].comparable() == expected.comparable()
        else:
            same = keep(expected) == found[school.id]
        if not same:
            raise StaleTrainingSnapshot(
                f"{school.name}'s kept training differs from its data, though its training revision "
                f"({school.training_revision}) is unchanged: a change does not change the revision."
            )


def _key(kind: str, school: School, today: date) -> tuple:
    return (kind, school.id, school.training_revision, today)


def _cache(name: str = "training_snapshots", size_setting: str = "TRAINING_SNAPSHOT_CACHE_SIZE") -> LRUCache | None:
    size = current_app.config.get(size_setting, 0)
    if size <= 0:
        return None
    extensions = current_app.extensions
    if name not in extensions:
        with _lock:
            extensions.setdefault(name, LRUCache(maxsize=size))
    return extensions[name]


def _work_out(catalogue: Catalogue, schools: list[School], today: date) -> dict[int, SchoolTraining]:
    """Each school's training from the requirement projection: the statuses and the counts are the
    database's; Python only makes the rows into cells and runs the statutory checks over them."""
    school_ids = [school.id for school in schools]
    dashboards = school_dashboard.dashboards(catalogue, school_ids, today)
    counts = school_dashboard.counts(catalogue, school_ids, today)
    return _trainings(catalogue, schools, today, dashboards, lambda school_id: counts[school_id])


def work_out_by_rules(catalogue: Catalogue, schools: list[School], today: date) -> dict[int, SchoolTraining]:
    """The same by the Python rules (`build_dashboards`, `status_for`): the oracle the projection is
    checked against in the tests."""
    dashboards = build_dashboards(catalogue, [school.id for school in schools], today)

    def counted(school_id: int) -> school_dashboard.SchoolCounts:
        dashboard = dashboards[school_id]
        staff_only = Dashboard(
            dashboard.module_ids,
            [row for row in dashboard.rows if not set(row.roles) <= GOVERNOR_ROLES],
            dashboard.today,
        )
        return school_dashboard.SchoolCounts(
            role_summary=tuple(dashboard.role_summary()),
            staff_role_summary=tuple(staff_only.role_summary()),
            people_counts=dashboard.people_counts(),
            status_counts=dashboard.status_counts(),
            completion=_completion(dashboard),
        )

    return _trainings(catalogue, schools, today, dashboards, counted)


def _trainings(catalogue, schools, today, dashboards, counted) -> dict[int, SchoolTraining]:
    school_ids = [school.id for school in schools]
    qualifications = senco_rules.senco_qualifications(
        (school_id, row.user.id)
        for school_id, dashboard in dashboards.items()
        for row in dashboard.rows
        if Role.SENCO in row.roles
    )
    by_month = _completions_by_month(school_ids, today)
    result = {}
    for school in schools:
        dashboard = dashboards[school.id]
        counts = counted(school.id)
        result[school.id] = SchoolTraining(
            dashboard=dashboard,
            checks=tuple(statutory.run_checks(catalogue, school, dashboard, qualifications)),
            by_month=by_month[school.id],
            completion=counts.completion,
            role_summary=counts.role_summary,
            status_counts=counts.status_counts,
            people_counts=counts.people_counts,
            staff_role_summary=counts.staff_role_summary,
        )
    return result


def _completion(dashboard: Dashboard) -> dict[str, ModuleCompletion]:
    completed: Counter = Counter()
    required: Counter = Counter()
    for row in dashboard.rows:
        for module_id, cell in row.cells.items():
            required[module_id] += 1
            completed[module_id] += cell.status is TrainingStatus.COMPLETED
    return {module_id: ModuleCompletion(completed[module_id], required[module_id]) for module_id in required}


def _completions_by_month(school_ids: list[int], today: date) -> dict[int, tuple[tuple[date, int], ...]]:
    """Modules completed by each school's people (past and present) in each of the last months. One query."""
    start = add_months(date(today.year, today.month, 1), -(CHART_MONTHS - 1))
    rows = db.session.execute(
        select(Membership.school_id, ModuleProgress.id, ModuleProgress.completed_at)
        .join(Membership, Membership.user_id == ModuleProgress.user_id)
        .where(
            Membership.school_id.in_(school_ids),
            ModuleProgress.completed_at >= datetime.combine(start, time(), tzinfo=UTC),
        )
        # A person with two roles at a school has two memberships: count each completion once.
        .distinct()
    )
    counts: dict[int, Counter] = defaultdict(Counter)
    for school_id, _, completed_at in rows:
        counts[school_id][date(completed_at.year, completed_at.month, 1)] += 1
    months = [add_months(start, n) for n in range(CHART_MONTHS)]
    return {school_id: tuple((month, counts[school_id][month]) for month in months) for school_id in school_ids}
