"""A learner's own view of what their school requires of them, by when and why.

It is the staff dashboard's row for one person, worked out by the same rules (`personal_requirements`
and `status_for`), so a teacher sees "Overdue" exactly when their headteacher does. What it adds is
why each module is asked of them (their role's pathway, a leader's assignment, a refresher) and how far
they have read, for the home page's next step.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.content.model import Catalogue, Module
from app.extensions import db
from app.leadership.staff_training import TrainingStatus, status_for
from app.learning import personal_requirements, requirements_for_schools
from app.models import Assignment, Membership, ModuleProgress, Role, User


class ReasonKind(enum.StrEnum):
    PATHWAY = "pathway"
    ASSIGNMENT = "assignment"
    REFRESHER = "refresher"


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str


# Most urgent first: what is late, then what is close, then the rest by date.
_URGENCY = {
    TrainingStatus.OVERDUE: 0,
    TrainingStatus.EXPIRED: 0,
    TrainingStatus.OLDER_VERSION: 0,
    TrainingStatus.DUE_SOON: 1,
    TrainingStatus.IN_PROGRESS: 2,
    TrainingStatus.NOT_STARTED: 2,
    TrainingStatus.COMPLETED: 3,
}


@dataclass(frozen=True)
class OwnRequirement:
    """One module the school requires of the person: its status as their head sees it, and why."""

    module: Module
    status: TrainingStatus
    # The date that matters next: when it is due, when it must be renewed, or when it was completed.
    date: date
    reasons: tuple[Reason, ...]
    completed: bool
    pages_read: int
    resume_slug: str

    @property
    def date_text(self) -> str:
        """The date with what it means, never a bare date ("Completed 18 Jul 2029" misleads)."""
        when = f"{self.date.day} {self.date:%B %Y}"
        if self.status is TrainingStatus.OVERDUE:
            return f"was due by {when}"
        if self.status is TrainingStatus.EXPIRED:
            return f"needed renewing by {when}"
        if self.status is TrainingStatus.OLDER_VERSION:
            return f"the school asked everyone to do it again on {when}"
        if self.completed:
            return f"renew by {when}" if any(r.kind is ReasonKind.REFRESHER for r in self.reasons) else f"on {when}"
        return f"due by {when}"

    @property
    def started(self) -> bool:
        """Part read: there is a page to continue from."""
        return 0 < self.pages_read < len(self.module.pages)

    @property
    def urgency(self) -> tuple[int, date, str]:
        # A completed module coming up for renewal is "due soon" on the dashboard too, but it is less
        # pressing for the person than one they have never done.
        rank = _URGENCY[self.status]
        if self.completed and self.status is TrainingStatus.DUE_SOON:
            rank = _URGENCY[TrainingStatus.NOT_STARTED]
        return (rank, self.date, self.module.title)


@dataclass(frozen=True)
class OwnTraining:
    requirements: list[OwnRequirement]
    today: date

    def for_module(self, module_id: str) -> OwnRequirement | None:
        return next((r for r in self.requirements if r.module.id == module_id), None)

    @property
    def module_ids(self) -> set[str]:
        return {requirement.module.id for requirement in self.requirements}

    @property
    def to_do(self) -> list[OwnRequirement]:
        """What is still to do, most urgent first (a module due for renewal soon included)."""
        return [r for r in self.requirements if r.status is not TrainingStatus.COMPLETED]

    @property
    def overdue(self) -> list[OwnRequirement]:
        return [r for r in self.requirements if r.status.needs_action]

    @property
    def due_soon(self) -> list[OwnRequirement]:
        return [r for r in self.requirements if r.status is TrainingStatus.DUE_SOON]

    @property
    def next_step(self) -> OwnRequirement | None:
        """The one thing to do next: a module already begun if none is more urgent, else the most urgent."""
        to_do = self.to_do
        if not to_do:
            return None
        most_urgent = to_do[0]
        begun = [r for r in to_do if r.started]
        if begun and begun[0].urgency[0] <= most_urgent.urgency[0]:
            return begun[0]
        return most_urgent


def own_training(
    catalogue: Catalogue,
    school_id: int,
    user_id: int,
    today: date | None = None,
    progress: dict[str, ModuleProgress] | None = None,
) -> OwnTraining:
    """Everything the school requires of the person, most urgent first. Four queries, or three when
    the page has already read the person's `progress` in every module (for their pathways)."""
    today = today or date.today()
    roles_started: dict[str, date] = {}
    for role, started_on in db.session.execute(
        select(Membership.role, Membership.started_on).where(
            Membership.user_id == user_id, Membership.school_id == school_id, Membership.is_current(today)
        )
    ):
        roles_started[role.value] = min(roles_started.get(role.value, started_on), started_on)
    assignments = list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.school_id == school_id, Assignment.user_id == user_id)
            .order_by(Assignment.due_on, Assignment.id)
        )
    )
    assigners = _names({assignment.assigned_by_id for assignment in assignments})
    requirements = requirements_for_schools(catalogue, [school_id])[school_id]
    mine = personal_requirements(requirements, roles_started, assignments)
    if progress is None:
        mine_only = ModuleProgress.module_id.in_(list(mine))
        query = select(ModuleProgress).where(ModuleProgress.user_id == user_id, mine_only)
        progress = {row.module_id: row for row in db.session.scalars(query)}
    result = []
    for module_id, requirement in mine.items():
        module = catalogue.modules.get(module_id)
        if module is None:
            continue
        theirs = progress.get(module_id)
        status, when = status_for(requirement, theirs, today)
        reasons: list[Reason] = []
        for role in sorted(roles_started, key=[r.value for r in Role].index):
            if any(r.module_id == module_id for r in requirements.get(role, ())):
                pathway = catalogue.pathways.get(role)
                title = pathway.title if pathway else Role(role).label
                reasons.append(Reason(ReasonKind.PATHWAY, f"Your role's pathway: {title}"))
        for assignment in assignments:
            if assignment.module_id == module_id:
                by = assigners.get(assignment.assigned_by_id, "a leader")
                text = f"Assigned to you by {by} on {assignment.assigned_at.day} {assignment.assigned_at:%B %Y}"
                if assignment.note:
                    text += f": \u201c{assignment.note}\u201d"
                reasons.append(Reason(ReasonKind.ASSIGNMENT, text))
        completed = theirs is not None and theirs.completed_at is not None
        if completed and status is TrainingStatus.OLDER_VERSION:
            reasons.append(Reason(ReasonKind.REFRESHER, "A refresher: the school asked everyone to do the new version"))
        elif completed and requirement.renew_every_months:
            years, months = divmod(requirement.renew_every_months, 12)
            every = f"{years} years" if not months and years > 1 else f"{requirement.renew_every_months} months"
            reasons.append(Reason(ReasonKind.REFRESHER, f"A refresher: renewed every {every}"))
        read = (
            set(theirs.pages_read or ()) & set(module.page_slugs)
            if theirs and theirs.reading_version == module.version
            else set()
        )
        resume = next((slug for slug in module.page_slugs if slug not in read), module.page_slugs[0])
        result.append(
            OwnRequirement(
                module=module,
                status=status,
                date=when,
                reasons=tuple(reasons),
                completed=completed and status not in {TrainingStatus.EXPIRED, TrainingStatus.OLDER_VERSION},
                pages_read=len(read),
                resume_slug=resume,
            )
        )
    result.sort(key=lambda requirement: requirement.urgency)
    return OwnTraining(result, today)


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
