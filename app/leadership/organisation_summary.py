"""For a local authority or trust officer: every school's training, statutory checks and self-assessment
positions, as aggregates only. Never a member of staff's name or anyone's answers.

The whole organisation is read in the same fixed number of queries, however many schools it has.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.leadership import check_state, school_figures
from app.leadership.snapshots import ModuleCompletion
from app.models import Organisation, School
from app.platform import FEWER_THAN, is_small, people_count, share_of_people, spreadsheet_safe
from app.self_assessment import organisation_positions


@dataclass(frozen=True)
class SchoolSummary:
    school: School
    people: int
    completion: dict[str, ModuleCompletion]
    checks: list[tuple[str, check_state.CheckState, date | None]]  # (title, state, red on): no evidence, no names
    positions: list  # the latest agreed round of each set

    @property
    def overall(self) -> ModuleCompletion:
        return ModuleCompletion(
            sum(c.completed for c in self.completion.values()), sum(c.required for c in self.completion.values())
        )

    @property
    def checks_at_risk(self) -> int:
        return sum(state is not check_state.CheckState.MET for _, state, _ in self.checks)


def organisation_summary(catalogue: Catalogue, organisation: Organisation) -> list[SchoolSummary]:
    schools = list(
        db.session.scalars(select(School).where(School.organisation_id == organisation.id).order_by(School.name))
    )
    figures = school_figures.figures_for_schools(catalogue, schools)
    positions = {entry.school.id: entry.rounds for entry in organisation_positions(organisation, schools)}
    return [
        SchoolSummary(
            school=school,
            people=figures[school.id].people,
            completion=figures[school.id].completion,
            checks=list(figures[school.id].checks),
            positions=positions.get(school.id, []),
        )
        for school in schools
    ]


PAGE_SIZE = 25
SORTS = {
    "name": (lambda s: (s.school.name.lower(), s.school.id), False),
    "-name": (lambda s: (s.school.name.lower(), s.school.id), True),
    "authority": (lambda s: ((s.school.local_authority or "").lower(), s.school.name.lower()), False),
    "people": (lambda s: (s.people, s.school.name.lower()), False),
    "-people": (lambda s: (s.people, s.school.name.lower()), True),
    "completion": (lambda s: (_rank(s.overall.percent), s.school.name.lower()), False),
    "-completion": (lambda s: (_rank(s.overall.percent), s.school.name.lower()), True),
    "attention": (lambda s: (s.checks_at_risk, s.school.name.lower()), True),
}


def _rank(percent: int | None) -> int:
    return -1 if percent is None else percent


@dataclass(frozen=True)
class SchoolsPage:
    """One page of an organisation's schools, in the order asked for."""

    rows: list[SchoolSummary]
    page: int
    pages: int
    total: int
    sort: str

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def schools_page(summaries: list[SchoolSummary], *, sort: str, page: int) -> SchoolsPage:
    """Sorting is over each school's few totals (a list of a few hundred), so it is done here; what is
    expensive (the figures) the database has already worked out for every school."""
    sort = sort if sort in SORTS else "name"
    key, reverse = SORTS[sort]
    ordered = sorted(summaries, key=key, reverse=reverse)
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return SchoolsPage(ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages, len(ordered), sort)


def chosen_schools(summaries: list[SchoolSummary], chosen_ids: list[str]) -> list[SchoolSummary]:
    """The schools picked for comparing side by side; all of them when none are picked."""
    picked = [s for s in summaries if str(s.school.id) in set(chosen_ids)]
    return picked or summaries


def summary_csv(catalogue: Catalogue, summaries: list[SchoolSummary]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Measure", *(spreadsheet_safe(s.school.name) for s in summaries)])
    if any(s.school.local_authority for s in summaries):
        writer.writerow(["Local authority", *(spreadsheet_safe(s.school.local_authority or "") for s in summaries)])
    writer.writerow(["People", *(people_count(s.people) for s in summaries)])
    writer.writerow(
        [
            "All required training completed (%)",
            *(_percent(s.overall) if not is_small(s.people) else FEWER_THAN + " people" for s in summaries),
        ]
    )
    module_ids = [m for m in catalogue.modules if any(m in s.completion for s in summaries)]
    for module_id in module_ids:
        writer.writerow(
            [
                f"{catalogue.modules[module_id].title}: completed (%)",
                *(_percent(s.completion.get(module_id)) for s in summaries),
            ]
        )
    titles = [title for title, _, _ in summaries[0].checks] if summaries else []
    for index, title in enumerate(titles):
        writer.writerow([f"Statutory check: {title}", *(s.checks[index][1].label for s in summaries)])
    return out.getvalue()


def _percent(completion: ModuleCompletion | None) -> str:
    if completion is None or completion.percent is None:
        return "Not required"
    if is_small(completion.required):
        # The people required to do it are one or two: their share would be their own record.
        return share_of_people(completion.completed, completion.required)
    return str(completion.percent)
