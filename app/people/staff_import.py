"""Importing staff from a CSV file: read, check every row, plan, and apply in one transaction.

The same plan drives the web preview and `flask import-staff`. A row says "this person holds this
role at the school from this date"; applying a file twice changes nothing the second time, because
each row is compared with what the school already holds. Nothing is applied while any row has a
problem, and applying re-checks the file against the database as it is then.

A row for someone who does not work at the school now becomes an invitation they accept or decline
(`invitations.invite`), with the same words whether or not the address already has an account: the
preview tells a school about its own people and its own invitations, never about anyone else's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditAction, InvitationStatus, Membership, MembershipInvitation, Role, School, StaffImport, User
from app.models.base import utcnow
from app.people import invitations
from app.people.staff_file import MAX_ROWS_ON_THE_WEB, ImportPlan, Outcome, decode_file, long_date, read_file
from app.permissions import grant_refusal, roles_at_school
from app.platform import record_event

# ---- planning against the school ----------------------------------------------------------------


def plan_import(
    school: School,
    data: bytes,
    *,
    by: User | None = None,
    max_rows: int | None = MAX_ROWS_ON_THE_WEB,
    today: date | None = None,
) -> ImportPlan:
    """What applying the file would do at the school, row by row. Reads only.

    `by` is the person importing (None for the command line): a row giving a role they may not give
    is a problem, as it would be on the invite page.
    """
    today = today or date.today()
    plan = read_file(data, max_rows=max_rows, today=today)
    if plan.file_problems:
        return plan
    emails = sorted({row.email for row in plan.rows if not row.problems})
    users: dict[str, User] = {}
    held: dict[tuple[int, Role], Membership] = {}
    members: set[int] = set()
    invited: set[tuple[int, Role]] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        for user in db.session.scalars(select(User).where(User.email.in_(chunk))):
            users[user.email] = user
    user_ids = [user.id for user in users.values()]
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        for membership in db.session.scalars(
            select(Membership).where(
                Membership.school_id == school.id,
                Membership.user_id.in_(chunk),
                (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
            )
        ):
            held[(membership.user_id, membership.role)] = membership
            if membership.is_current(today):
                members.add(membership.user_id)
        for user_id, role in db.session.execute(
            select(MembershipInvitation.user_id, MembershipInvitation.role).where(
                MembershipInvitation.school_id == school.id,
                MembershipInvitation.user_id.in_(chunk),
                MembershipInvitation.status == InvitationStatus.PENDING,
            )
        ):
            invited.add((user_id, role))
    granter = roles_at_school(by, school.id, today) if by is not None else None
    for row in plan.rows:
        if row.problems:
            row.outcome = Outcome.PROBLEM
            continue
        assert row.role is not None
        user = users.get(row.email)
        if granter is not None:
            refusal = grant_refusal(granter, row.role, on_self=user is not None and user.id == by.id)
            if refusal:
                row.problems.append(refusal[0].lower() + refusal[1:])
                row.outcome = Outcome.PROBLEM
                continue
        if user is None or user.id not in members:
            # The same words whether or not the address has an account: see the module's docstring.
            if user is not None and (user.id, row.role) in invited:
                row.outcome, row.note = Outcome.SKIP, "Already invited: waiting for them to accept"
            else:
                row.outcome, row.note = Outcome.INVITE, "They will be emailed an invitation, and join when they accept"
            continue
        membership = held.get((user.id, row.role))
        if membership is None:
            row.outcome, row.note = Outcome.ADD_ROLE, "Already works here: the role is added and they are told"
        elif membership.started_on != row.started_on:
            row.outcome = Outcome.CHANGE
            row.note = f"Start date {long_date(membership.started_on)} becomes {long_date(row.started_on)}"
        else:
            row.outcome, row.note = Outcome.SKIP, "Already here in this role from this date"
        if user.name != row.name:
            row.note += f". Their name stays {user.name}: people change their own names"
    return plan


@dataclass(frozen=True)
class ImportResult:
    invited: int
    roles_added: int
    changed: int
    skipped: int

    def describe(self) -> str:
        return (
            f"{self.invited} invitations sent, {self.roles_added} roles added, "
            f"{self.changed} start dates changed, {self.skipped} rows already up to date"
        )


def apply_plan(
    school: School, plan: ImportPlan, *, by: User | None, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Make the plan's changes (flushed, not committed: the caller commits once, or not at all)."""
    if not plan.is_clean:
        raise ValueError("a staff file with problems is never applied")
    today = date.today()
    for row in plan.rows:
        assert row.role is not None and row.started_on is not None
        if row.outcome in (Outcome.INVITE, Outcome.ADD_ROLE):
            invitations.invite(
                school=school,
                email_address=row.email,
                name=row.name,
                role=row.role,
                started_on=row.started_on,
                invited_by=by,
                today=today,
            )
        elif row.outcome is Outcome.CHANGE:
            membership = db.session.scalars(
                select(Membership).where(
                    Membership.school_id == school.id,
                    Membership.role == row.role,
                    Membership.user_id == select(User.id).where(User.email == row.email).scalar_subquery(),
                    (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
                )
            ).first()
            if membership is not None:
                membership.started_on = row.started_on
        if progress is not None:
            progress(1)
    result = ImportResult(
        invited=plan.count(Outcome.INVITE),
        roles_added=plan.count(Outcome.ADD_ROLE),
        changed=plan.count(Outcome.CHANGE),
        skipped=plan.count(Outcome.SKIP),
    )
    if plan.changes:
        record_event(
            AuditAction.STAFF_IMPORTED,
            school_id=school.id,
            actor_id=by.id if by else None,
            details={
                "rows": len(plan.rows),
                "invited": result.invited,
                "roles_added": result.roles_added,
                "changed": result.changed,
            },
        )
    db.session.flush()
    return result


# ---- the web's upload, preview and apply --------------------------------------------------------


def save_upload(school: School, *, filename: str, data: bytes, by: User) -> StaffImport:
    """Keep the file between its preview and the "Import" button (emptied once applied)."""
    text = decode_file(data) or ""
    staff_import = StaffImport(
        reference=secrets.token_urlsafe(24),
        school_id=school.id,
        uploaded_by_id=by.id,
        filename=(filename or "staff.csv")[:255],
        csv_text=text,
    )
    db.session.add(staff_import)
    db.session.flush()
    return staff_import


def staff_import_or_404(school: School, reference: str) -> StaffImport:
    """The school's own upload; another school's reference is 'not found'."""
    found = db.session.scalars(
        select(StaffImport).where(StaffImport.reference == reference, StaffImport.school_id == school.id)
    ).first()
    if found is None:
        abort(404)
    return found


def claim(staff_import: StaffImport) -> bool:
    """Mark the upload applied, once: a double click or a second tab gets False."""
    claimed = db.session.execute(
        update(StaffImport)
        .where(StaffImport.id == staff_import.id, StaffImport.applied_at.is_(None))
        .values(applied_at=utcnow(), csv_text="")
    ).rowcount
    return claimed == 1
