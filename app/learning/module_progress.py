"""Reading modules: pages read, resuming, and completing a module exactly once.

Completion appends `module_completed` to the person's ledger and updates the progress
projection in the same transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.content.model import Catalogue, ChangeNote, Module, Pathway
from app.extensions import db
from app.learning.badges import issue_on_completion
from app.learning.certificate_email import email_certificate
from app.models import ModuleProgress
from app.models.base import utcnow
from app.models.quizzes import AttemptStatus, QuizAttempt
from app.records import EntryKind, append_entry


class ModuleStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    UPDATED_SINCE_COMPLETED = "updated_since_completed"

    @property
    def label(self) -> str:
        return {
            ModuleStatus.NOT_STARTED: "Not started",
            ModuleStatus.IN_PROGRESS: "In progress",
            ModuleStatus.COMPLETED: "Completed",
            ModuleStatus.UPDATED_SINCE_COMPLETED: "Updated since you completed it",
        }[self]

    @property
    def tag_class(self) -> str:
        return {
            ModuleStatus.NOT_STARTED: "govuk-tag--blue",
            ModuleStatus.IN_PROGRESS: "govuk-tag--light-blue",
            ModuleStatus.COMPLETED: "govuk-tag--green",
            ModuleStatus.UPDATED_SINCE_COMPLETED: "govuk-tag--yellow",
        }[self]

    @property
    def task_list_status(self) -> dict:
        """The GOV.UK task list pattern: done is plain text, anything still to do is a tag."""
        if self is ModuleStatus.COMPLETED:
            return {"text": self.label}
        return {"tag": {"text": self.label, "classes": self.tag_class}}


def completion_needs_quiz(catalogue: Catalogue, module: Module) -> bool:
    """A module with a quiz is complete when every page is read and the quiz is passed."""
    return module.id in catalogue.quizzes


def has_passed_quiz(user_id: int, module_id: str) -> bool:
    return (
        db.session.scalars(
            select(QuizAttempt.id).where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.module_id == module_id,
                QuizAttempt.status == AttemptStatus.SUBMITTED,
                QuizAttempt.passed.is_(True),
            )
        ).first()
        is not None
    )


def status_of(module: Module, progress: ModuleProgress | None) -> ModuleStatus:
    if progress is None:
        return ModuleStatus.NOT_STARTED
    if progress.completed_version == module.version:
        return ModuleStatus.COMPLETED
    reading_now = progress.reading_version == module.version and progress.pages_read
    if progress.completed_version is not None and not reading_now:
        return ModuleStatus.UPDATED_SINCE_COMPLETED
    if reading_now:
        return ModuleStatus.IN_PROGRESS
    return ModuleStatus.NOT_STARTED


def changes_since_completed(catalogue: Catalogue, module: Module, progress: ModuleProgress | None) -> list[ChangeNote]:
    """What changed in the law or guidance since the person completed an older version of the module:
    the change notes naming it that were recorded on or after the day they completed it."""
    if progress is None or progress.completed_at is None or progress.completed_version == module.version:
        return []
    return catalogue.changes_for(module.id, recorded_from=progress.completed_at.date())


def pages_read_now(module: Module, progress: ModuleProgress | None) -> set[str]:
    """The pages of the module's current version the person has read."""
    if progress is None or progress.reading_version != module.version:
        return set()
    return set(progress.pages_read) & set(module.page_slugs)


def resume_page(module: Module, progress: ModuleProgress | None) -> str:
    """Where to pick up: the first page not yet read, or the first page if all are read."""
    read = pages_read_now(module, progress)
    for slug in module.page_slugs:
        if slug not in read:
            return slug
    return module.page_slugs[0]


def progress_for(user_id: int, module_ids: list[str] | None = None) -> dict[str, ModuleProgress]:
    query = select(ModuleProgress).where(ModuleProgress.user_id == user_id)
    if module_ids is not None:
        query = query.where(ModuleProgress.module_id.in_(module_ids))
    return {row.module_id: row for row in db.session.scalars(query)}


def _locked_progress(user_id: int, module: Module) -> ModuleProgress:
    """The person's row for the module, locked for this transaction; created if new."""
    query = (
        select(ModuleProgress)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == module.id)
        .with_for_update()
    )
    progress = db.session.scalars(query).first()
    if progress is not None:
        return progress
    try:
        with db.session.begin_nested():
            progress = ModuleProgress(
                user_id=user_id, module_id=module.id, reading_version=module.version, pages_read=[]
            )
            db.session.add(progress)
    except IntegrityError:
        # Another tab created it a moment ago: use theirs.
        progress = db.session.scalars(query).one()
    return progress


@dataclass(frozen=True)
class PageReadResult:
    progress: ModuleProgress
    completed_now: bool


def record_page_read(
    *, catalogue: Catalogue, user_id: int, school_id: int | None, module: Module, slug: str
) -> PageReadResult:
    """Mark a page read; complete the module if that was the last thing it needed."""
    progress = _locked_progress(user_id, module)
    if progress.reading_version != module.version:
        progress.reading_version = module.version
        progress.pages_read = []
    if slug not in progress.pages_read:
        # A new list, so that the JSON column is seen to have changed.
        progress.pages_read = [*progress.pages_read, slug]
    progress.last_page_slug = slug
    progress.updated_at = utcnow()
    completed_now = False
    if progress.completed_version != module.version and _requirements_met(catalogue, user_id, module, progress):
        entry = record_module_completion(user_id=user_id, school_id=school_id, module=module, progress=progress)
        email_certificate(entry=entry, module=module)
        completed_now = True
    db.session.flush()
    return PageReadResult(progress, completed_now)


def complete_if_ready(*, catalogue: Catalogue, user_id: int, school_id: int | None, module: Module) -> bool:
    """Complete the module now if everything it needs is done (called when a quiz is passed)."""
    progress = _locked_progress(user_id, module)
    if progress.completed_version == module.version or not _requirements_met(catalogue, user_id, module, progress):
        return False
    entry = record_module_completion(user_id=user_id, school_id=school_id, module=module, progress=progress)
    email_certificate(entry=entry, module=module)
    db.session.flush()
    return True


def _requirements_met(catalogue: Catalogue, user_id: int, module: Module, progress: ModuleProgress) -> bool:
    if pages_read_now(module, progress) != set(module.page_slugs):
        return False
    return not completion_needs_quiz(catalogue, module) or has_passed_quiz(user_id, module.id)


def record_module_completion(
    *,
    user_id: int,
    school_id: int | None,
    module: Module,
    progress: ModuleProgress,
    occurred_at: datetime | None = None,
):
    """Append `module_completed` (once per module version, whatever the retries) and update the projection.

    `occurred_at` is now unless given (demo data records completions in the past).
    """
    entry = append_entry(
        user_id=user_id,
        school_id=school_id,
        kind=EntryKind.MODULE_COMPLETED,
        subject_id=module.id,
        subject_version=module.version,
        payload={"minutes": module.minutes, "title": module.title},
        occurred_at=occurred_at,
        recorded_by_id=user_id,
        dedupe_key=f"module_completed:{module.id}:{module.version}",
    )
    progress.completed_at = entry.occurred_at
    progress.completed_version = module.version
    issue_on_completion(entry)
    return entry


@dataclass(frozen=True)
class PathwayRow:
    module: Module
    status: ModuleStatus
    # What changed since the person completed an older version (see changes_since_completed).
    changes: tuple[ChangeNote, ...] = ()


@dataclass(frozen=True)
class PathwayView:
    pathway: Pathway
    required: list[PathwayRow]
    optional: list[PathwayRow]

    @property
    def completed_count(self) -> int:
        return sum(row.status is ModuleStatus.COMPLETED for row in self.required)


def pathways_for(
    catalogue: Catalogue, user_id: int, roles: list[str], progress: dict[str, ModuleProgress] | None = None
) -> list[PathwayView]:
    """The pathways for the person's roles, with each module's status. One query for all of them, or
    none when the page passes the person's `progress` (progress_for) that it reads for other parts."""
    pathways = [catalogue.pathways[role] for role in roles if role in catalogue.pathways]
    progress = progress_for(user_id) if progress is None else progress
    views = []
    for pathway in pathways:

        def row(module_id: str) -> PathwayRow:
            module = catalogue.modules[module_id]
            mine = progress.get(module_id)
            changes = tuple(changes_since_completed(catalogue, module, mine))
            return PathwayRow(module, status_of(module, mine), changes)

        views.append(PathwayView(pathway, [row(m) for m in pathway.required], [row(m) for m in pathway.optional]))
    return views


def school_modules_for(
    catalogue: Catalogue, user_id: int, roles: list[str], progress: dict[str, ModuleProgress] | None = None
) -> list[PathwayRow]:
    """The modules the person's school wrote for any of their roles, with each one's status."""
    modules = [
        module
        for module in catalogue.modules.values()
        if module.school_id is not None and any(role in module.audience for role in roles)
    ]
    if not modules:
        return []
    progress = progress_for(user_id) if progress is None else progress
    return [
        PathwayRow(module, status_of(module, progress.get(module.id)), ())
        for module in sorted(modules, key=lambda module: module.title)
    ]
