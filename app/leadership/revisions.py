"""Keeping each school's training revision in step with what its staff training dashboard shows.

What the dashboard, the statutory checks and the organisation's view work out for a school is kept
(app/leadership/snapshots.py) under the school's `training_revision`. This module changes that
revision in the same transaction as any change that could alter what they show, by watching every
flush: a school that keeps the old revision has nothing new to show.

What counts as such a change is listed in one place, `_affected`. The test settings switch on
`TRAINING_SNAPSHOT_VERIFY`, which works every kept result out again and fails loudly if it differs, so
a write that should change the revision and does not is caught by any test that then shows the page.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from app.leadership import progress_projection
from app.leadership.senco_rules import QUALIFICATION_ENTRY_KINDS
from app.models import (
    Assignment,
    LedgerEntry,
    Membership,
    ModuleProgress,
    RecordSharing,
    RequirementSetting,
    School,
    TeacherStatusRecord,
    User,
)
from app.models.schools import new_training_revision
from app.school_content import SchoolModule

_PENDING = "training_revision_changes"
# Whose rows of the requirement projection to rebuild: (whole schools, people).
_PROJECTION = "requirement_projection_changes"
# What the dashboard reads of a person and of their progress on a module; other changes (a sign-in
# time, the pages read after the first) leave it as it was.
_PERSON_FIELDS = ("name", "email", "active")
_PROGRESS_FIELDS = ("completed_at", "last_page_slug")
_QUALIFICATION_KINDS = {kind.value for kind in QUALIFICATION_ENTRY_KINDS}


def _changed(instance, fields: tuple[str, ...]) -> bool:
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _affected(instance, is_new_or_deleted: bool) -> tuple[int | None, int | None]:
    """(school id, person id) whose training an object's change can alter, or (None, None)."""
    if isinstance(instance, Membership | Assignment | RequirementSetting | TeacherStatusRecord | RecordSharing):
        # A person's id with a membership covers a person moving between schools too.
        return instance.school_id, getattr(instance, "user_id", None)
    if isinstance(instance, ModuleProgress) and (is_new_or_deleted or _changed(instance, _PROGRESS_FIELDS)):
        return None, instance.user_id
    if isinstance(instance, User) and not is_new_or_deleted and _changed(instance, _PERSON_FIELDS):
        return None, instance.id
    if isinstance(instance, SchoolModule) and (is_new_or_deleted or _changed(instance, ("published_version",))):
        # A school module published (or a new version of one) is in the school's catalogue from now on.
        return instance.school_id, None
    if isinstance(instance, LedgerEntry) and is_new_or_deleted and instance.kind in _QUALIFICATION_KINDS:
        return None, instance.user_id
    return None, None


def _projection_affected(instance, is_new_or_deleted: bool) -> tuple[int | None, int | None]:
    """(school id, person id) whose rows of the requirement projection an object's change alters: a
    school's settings change all its people's rows; roles, assignments and progress change a person's."""
    if isinstance(instance, RequirementSetting):
        return instance.school_id, None
    if isinstance(instance, Membership | Assignment):
        return None, instance.user_id
    if isinstance(instance, ModuleProgress) and (is_new_or_deleted or _changed(instance, _PROGRESS_FIELDS)):
        return None, instance.user_id
    if isinstance(instance, SchoolModule) and (
        (is_new_or_deleted and instance.published is not None) or _changed(instance, ("published",))
    ):
        # A module published (or a published one removed): what the school requires of it counts, or stops.
        return instance.school_id, None
    return None, None


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, flush_context, instances) -> None:
    school_ids, user_ids = session.info.setdefault(_PENDING, (set(), set()))
    whole_schools, people = session.info.setdefault(_PROJECTION, (set(), set()))
    for collection, is_new_or_deleted in ((session.new, True), (session.deleted, True), (session.dirty, False)):
        for instance in collection:
            whole_school, person = _projection_affected(instance, is_new_or_deleted)
            if whole_school is not None:
                whole_schools.add(whole_school)
            if person is not None:
                people.add(person)
            school_id, user_id = _affected(instance, is_new_or_deleted)
            if school_id is not None:
                school_ids.add(school_id)
            if user_id is not None:
                user_ids.add(user_id)


@event.listens_for(Session, "before_commit")
def _change_revisions(session: Session) -> None:
    if session.in_nested_transaction():
        return  # releasing a savepoint: the changes are noted, for the real commit
    # Flush first so that the last changes are noted; the revision is changed last of all, so the school
    # row is locked only for the moment before COMMIT, after any lock on a person's row.
    session.flush()
    _rebuild_projection(session)
    school_ids, user_ids = session.info.pop(_PENDING, (set(), set()))
    if not school_ids and not user_ids:
        return
    if user_ids:
        school_ids |= set(session.scalars(select(Membership.school_id).where(Membership.user_id.in_(user_ids))).all())
    school_ids.discard(None)
    if school_ids:
        # One statement, in id order, so that two transactions lock the same schools in the same order.
        session.execute(
            update(School)
            .where(School.id.in_(sorted(school_ids)))
            .values(training_revision=new_training_revision())
            .execution_options(synchronize_session=False)
        )
    # The UPDATE's own autoflush may have noted an empty set again; the commit expires every loaded
    # school, so the new revision is read on next use.
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction) -> None:
    # Only when the whole transaction ends: a savepoint rolled back inside it leaves the notes (changing a
    # revision that need not change costs one recalculation; missing one would show old figures).
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_PROJECTION, None)


def _rebuild_projection(session: Session) -> None:
    whole_schools, people = session.info.pop(_PROJECTION, (set(), set()))
    if not (whole_schools or people) or not has_app_context():
        return
    catalogue = current_app.extensions.get("catalogue")
    if catalogue is None:
        return
    with session.no_autoflush:
        progress_projection.rebuild(session, catalogue, school_ids=whole_schools, user_ids=people)
    # The rebuild's own statements may have noted nothing new; forget anything they did note.
    session.info.pop(_PROJECTION, None)
