"""Training requirements: the pathways' defaults, a school's own settings, and leaders' assignments.

What a person must complete at a school is the union of the requirements of their roles there
and any modules assigned to them, each with the date it is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.models import SCHOOL_ROLES, Assignment, RequirementChange, RequirementSetting
from app.models.base import utcnow


class RequirementProblem(ValueError):
    """A requirement change that cannot be made, in words for the person making it."""


@dataclass(frozen=True)
class Requirement:
    role: str
    module_id: str
    window_days: int
    renew_every_months: int | None
    refresh_required_since: datetime | None
    changed_by_school: bool


def school_requirements(catalogue: Catalogue, school_id: int) -> dict[str, list[Requirement]]:
    """role -> the modules it must complete at this school, in pathway order. One query."""
    return requirements_for_schools(catalogue, [school_id])[school_id]


def requirements_for_schools(
    catalogue: Catalogue, school_ids: list[int], session=None, own_modules: dict[int, set[str]] | None = None
) -> dict[int, dict[str, list[Requirement]]]:
    """The same for many schools at once, in one query (in `session` if given: a migration's own).
    `own_modules` gives each school's published modules, for a caller holding only the national catalogue."""
    settings: dict[int, dict[tuple[str, str], RequirementSetting]] = {school_id: {} for school_id in school_ids}
    if school_ids:
        for setting in (session or db.session).scalars(
            select(RequirementSetting).where(RequirementSetting.school_id.in_(school_ids))
        ):
            settings[setting.school_id][(setting.role, setting.module_id)] = setting
    own_modules = own_modules or {}
    return {
        school_id: _apply_settings(catalogue, settings[school_id], own_modules.get(school_id, set()))
        for school_id in school_ids
    }


def _apply_settings(
    catalogue: Catalogue, settings: dict[tuple[str, str], RequirementSetting], own_modules: set[str] = frozenset()
) -> dict[str, list[Requirement]]:
    result: dict[str, list[Requirement]] = {}
    for role in SCHOOL_ROLES:
        pathway = catalogue.pathways.get(role.value)
        requirements: list[Requirement] = []
        defaults = list(pathway.required) if pathway else []
        extra = [m for (r, m), s in settings.items() if r == role.value and s.required and m not in defaults]
        for module_id in defaults + sorted(extra):
            if module_id not in catalogue.modules and module_id not in own_modules:
                continue
            setting = settings.get((role.value, module_id))
            if setting is not None and not setting.required:
                continue
            window = pathway.new_starter_window_days if pathway else 90
            renew = pathway.renew_every_months if pathway else None
            if setting is not None:
                window = setting.window_days or window
                renew = setting.renew_every_months if setting.renew_every_months is not None else renew
            requirements.append(
                Requirement(
                    role=role.value,
                    module_id=module_id,
                    window_days=window,
                    renew_every_months=renew,
                    refresh_required_since=setting.refresh_required_since if setting else None,
                    changed_by_school=setting is not None,
                )
            )
        result[role.value] = requirements
    return result


def _setting_values(setting: RequirementSetting | None) -> dict:
    if setting is None:
        return {"default": True}
    return {
        "required": setting.required,
        "window_days": setting.window_days,
        "renew_every_months": setting.renew_every_months,
        "refresh_required_since": setting.refresh_required_since.isoformat()
        if setting.refresh_required_since
        else None,
    }


def _setting(school_id: int, role: str, module_id: str) -> RequirementSetting | None:
    return db.session.scalars(
        select(RequirementSetting).where(
            RequirementSetting.school_id == school_id,
            RequirementSetting.role == role,
            RequirementSetting.module_id == module_id,
        )
    ).first()


def _save_setting(*, school_id: int, role: str, module_id: str, changed_by_id: int, change) -> RequirementSetting:
    """Apply `change` to the school's setting for the role and module (made if new) and log before and after."""
    setting = _setting(school_id, role, module_id)
    before = _setting_values(setting)
    if setting is None:
        setting = RequirementSetting(school_id=school_id, role=role, module_id=module_id, required=True)
        db.session.add(setting)
    change(setting)
    setting.updated_by_id = changed_by_id
    setting.updated_at = utcnow()
    db.session.flush()
    db.session.add(
        RequirementChange(
            school_id=school_id,
            role=role,
            module_id=module_id,
            before=before,
            after=_setting_values(setting),
            changed_by_id=changed_by_id,
        )
    )
    db.session.flush()
    return setting


def change_requirement(
    *,
    catalogue: Catalogue,
    school_id: int,
    role: str,
    module_id: str,
    required: bool,
    window_days: int | None,
    renew_every_months: int | None,
    changed_by_id: int,
) -> RequirementSetting:
    """Set the school's requirement for a role and module, and record the change."""
    if module_id not in catalogue.modules:
        raise RequirementProblem("Choose a module from the list")
    if role not in {r.value for r in SCHOOL_ROLES}:
        raise RequirementProblem("Choose a role from the list")
    if window_days is not None and window_days < 1:
        raise RequirementProblem("The window must be at least 1 day")

    def change(setting: RequirementSetting) -> None:
        setting.required = required
        setting.window_days = window_days
        setting.renew_every_months = renew_every_months

    return _save_setting(
        school_id=school_id, role=role, module_id=module_id, changed_by_id=changed_by_id, change=change
    )


def require_refresh(*, catalogue: Catalogue, school_id: int, module_id: str, changed_by_id: int) -> int:
    """Mark a changed module as needing everyone who must do it to do it again. Returns roles affected."""
    if module_id not in catalogue.modules:
        raise RequirementProblem("Choose a module from the list")
    now = utcnow()
    roles = [
        role
        for role, requirements in school_requirements(catalogue, school_id).items()
        if any(requirement.module_id == module_id for requirement in requirements)
    ]
    if not roles:
        raise RequirementProblem("No role at this school must complete that module")

    def change(setting: RequirementSetting) -> None:
        setting.refresh_required_since = now

    for role in roles:
        _save_setting(school_id=school_id, role=role, module_id=module_id, changed_by_id=changed_by_id, change=change)
    return len(roles)


def requirement_changes(school_id: int, limit: int = 50) -> list[RequirementChange]:
    return list(
        db.session.scalars(
            select(RequirementChange)
            .where(RequirementChange.school_id == school_id)
            .order_by(RequirementChange.changed_at.desc(), RequirementChange.id.desc())
            .limit(limit)
        )
    )


def assignments_in_school(school_id: int) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment).where(Assignment.school_id == school_id).order_by(Assignment.assigned_at.desc())
        )
    )


class PersonalRequirement(NamedTuple):
    """One module one person must complete at the school, and by when. A named tuple, because a
    dashboard makes one for every person and module (tens of thousands for an organisation)."""

    module_id: str
    due_on: date
    renew_every_months: int | None
    refresh_required_since: datetime | None
    assigned: bool


def personal_requirements(
    requirements: dict[str, list[Requirement]],
    roles_started: dict[str, date],
    assignments: list[Assignment],
) -> dict[str, PersonalRequirement]:
    """module -> what the person must do: the tightest window of their roles, or an earlier assignment.

    Two roles with the same due date give the renewal and refresh of the first by role name, whatever
    order the roles were read in (the requirement projection breaks the tie the same way in SQL)."""
    result: dict[str, PersonalRequirement] = {}
    for role, started_on in sorted(roles_started.items()):
        for requirement in requirements.get(role, ()):
            due = started_on + timedelta(days=requirement.window_days)
            current = result.get(requirement.module_id)
            if current is None or due < current.due_on:
                result[requirement.module_id] = PersonalRequirement(
                    requirement.module_id,
                    due,
                    requirement.renew_every_months,
                    requirement.refresh_required_since,
                    False,
                )
    for assignment in assignments:
        current = result.get(assignment.module_id)
        if current is None:
            result[assignment.module_id] = PersonalRequirement(
                assignment.module_id, assignment.due_on, None, None, True
            )
        elif assignment.due_on < current.due_on:
            result[assignment.module_id] = current._replace(due_on=assignment.due_on, assigned=True)
    return result
