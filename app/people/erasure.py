"""Erasure and retention: a person's name and email become a pseudonym and their secrets go, while
their roles, training and ledger stay (the ledger's hashes hold ids, never names, so every chain still
verifies). Only someone with no current role anywhere can be erased; `flask apply-retention` erases
leavers once every school they were at has passed its retention period."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, exists, func, or_, select, update

from app.extensions import db
from app.models import (
    AccountToken,
    AuditAction,
    Membership,
    OutboxMessage,
    RecoveryCode,
    RetentionPolicy,
    School,
    StaffImport,
    User,
)
from app.models.base import utcnow
from app.models.people import new_session_token
from app.people.models import SignInIdentity
from app.platform import record_event

# What a school keeps when it has not chosen: six years after leaving, as for other staff records.
DEFAULT_ERASE_LEAVERS_AFTER_YEARS = 6
# An uploaded staff file that was never applied is removed after this long.
ABANDONED_IMPORT_AGE = timedelta(days=1)


# ---- erasure ------------------------------------------------------------------------------------

ERASED_NAME = "Erased person"
ERASED_EMAIL_DOMAIN = "erased.invalid"
ERASED_MESSAGE = "(This message was removed when the person's details were erased.)\n"


def has_open_membership(user_id: int, today: date) -> bool:
    """Whether the person holds, or will hold, any role anywhere."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Membership.user_id == user_id,
                    (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
                )
            )
        )
    )


class CannotErase(ValueError):
    """The person cannot be erased yet; the message says why."""


def erasure_problem(user: User, *, actor: User | None, today: date) -> str | None:
    """Why the person cannot be erased now, or None if they can."""
    if user.erased_at is not None:
        return "Their details have already been erased."
    if actor is not None and actor.id == user.id:
        return "You cannot erase your own details."
    if has_open_membership(user.id, today):
        return "They still have a role at a school or organisation. Mark them as a leaver everywhere first."
    return None


def erase_person(user: User, *, actor: User | None, school: School | None, today: date | None = None) -> None:
    """Replace the person's name and email with a pseudonym, remove their secrets and sign-in, scrub
    the email sent to them. Their records (roles, training, the ledger) stay, under the pseudonym."""
    today = today or date.today()
    problem = erasure_problem(user, actor=actor, today=today)
    if problem:
        raise CannotErase(problem)
    old_email = user.email
    pseudonym_email = f"erased-{user.id}-{secrets.token_hex(4)}@{ERASED_EMAIL_DOMAIN}"
    user.name = f"{ERASED_NAME} {user.id}"
    user.email = pseudonym_email
    user.password_hash = None
    user.active = False
    user.session_token = new_session_token()
    user.two_step_secret = None
    user.two_step_enabled_at = None
    user.two_step_last_counter = None
    user.calendar_feed_hash = None
    user.erased_at = utcnow()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    # A linked Microsoft or Google account would otherwise still sign in as the pseudonym.
    db.session.execute(delete(SignInIdentity).where(SignInIdentity.user_id == user.id))
    about_them = or_(OutboxMessage.user_id == user.id, OutboxMessage.to_address == old_email)
    # Unsent email to them is not sent; sent email keeps its kind and date, not its words.
    db.session.execute(delete(OutboxMessage).where(about_them, OutboxMessage.sent_at.is_(None)))
    db.session.execute(
        update(OutboxMessage)
        .where(about_them)
        .values(to_address=pseudonym_email, body_text=ERASED_MESSAGE, body_text_for_subject_access=ERASED_MESSAGE)
    )
    # A staff file waiting to be applied may list them; it is dropped rather than edited.
    db.session.execute(
        delete(StaffImport).where(
            StaffImport.applied_at.is_(None), StaffImport.csv_text.contains(old_email, autoescape=True)
        )
    )
    # Evidence files (certificates, transcripts) carry the person's name: they go, rows and all. The
    # ledger keeps only their ids and hashes, so the chain stays valid.
    from app.records import delete_evidence_files, note_person_erased_for_xapi

    delete_evidence_files(user.id)
    # Stores that were sent their statements are told to void them; nothing more about them is sent.
    note_person_erased_for_xapi(user.id)
    record_event(
        AuditAction.PERSON_ERASED,
        school_id=school.id if school else None,
        actor_id=actor.id if actor else None,
        subject_user_id=user.id,
    )
    db.session.flush()


# ---- retention ----------------------------------------------------------------------------------


def retention_years(school: School) -> int:
    policy = db.session.scalars(select(RetentionPolicy).where(RetentionPolicy.school_id == school.id)).first()
    return policy.erase_leavers_after_years if policy else DEFAULT_ERASE_LEAVERS_AFTER_YEARS


def set_retention_years(school: School, years: int, *, actor: User) -> None:
    policy = db.session.scalars(select(RetentionPolicy).where(RetentionPolicy.school_id == school.id)).first()
    before = policy.erase_leavers_after_years if policy else DEFAULT_ERASE_LEAVERS_AFTER_YEARS
    if policy is None:
        policy = RetentionPolicy(school_id=school.id, erase_leavers_after_years=years)
        db.session.add(policy)
    policy.erase_leavers_after_years = years
    policy.updated_at = utcnow()
    if before != years:
        record_event(
            AuditAction.RETENTION_POLICY_CHANGED,
            school_id=school.id,
            actor_id=actor.id,
            details={"years_before": before, "years_now": years},
        )
    db.session.flush()


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class RetentionDue:
    user: User
    left_on: date
    # The day the last school's policy allowed the details to be removed.
    due_on: date


def leavers_due_for_erasure(today: date | None = None) -> list[RetentionDue]:
    """People who have left everywhere, whose every school's retention period has passed since."""
    today = today or date.today()
    open_membership = exists().where(
        Membership.user_id == User.id, (Membership.ended_on.is_(None)) | (Membership.ended_on >= today)
    )
    any_membership = exists().where(Membership.user_id == User.id)
    users = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.erased_at.is_(None), any_membership, ~open_membership))
    }
    if not users:
        return []
    years_by_school = {
        school_id: years
        for school_id, years in db.session.execute(
            select(RetentionPolicy.school_id, RetentionPolicy.erase_leavers_after_years)
        )
    }
    memberships: dict[int, list[Membership]] = {}
    ids = list(users)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for membership in db.session.scalars(select(Membership).where(Membership.user_id.in_(chunk))):
            memberships.setdefault(membership.user_id, []).append(membership)
    due = []
    for user_id, held in memberships.items():
        last_left = max(m.ended_on for m in held if m.ended_on is not None)
        due_on = max(
            _years_after(m.ended_on, years_by_school.get(m.school_id, DEFAULT_ERASE_LEAVERS_AFTER_YEARS))
            for m in held
            if m.ended_on is not None
        )
        if due_on <= today:
            due.append(RetentionDue(users[user_id], last_left, due_on))
    return sorted(due, key=lambda item: item.user.id)


@dataclass
class RetentionResult:
    erased: list[RetentionDue]
    abandoned_imports: int
    dry_run: bool

    def describe(self) -> list[str]:
        verb = "Would erase" if self.dry_run else "Erased"
        lines = [
            f"{verb} person {due.user.id} ({due.user.email}): left on {due.left_on.isoformat()}, "
            f"retention ended on {due.due_on.isoformat()}"
            for due in self.erased
        ]
        what = "would be removed" if self.dry_run else "removed"
        lines.append(f"{len(self.erased)} people {'would be ' if self.dry_run else ''}erased.")
        lines.append(f"{self.abandoned_imports} abandoned staff files {what}.")
        return lines


def apply_retention(*, today: date | None = None, dry_run: bool = False) -> RetentionResult:
    """Erase leavers past every school's retention period and drop abandoned staff files. Flushes."""
    today = today or date.today()
    due = leavers_due_for_erasure(today)
    stale = StaffImport.created_at < utcnow() - ABANDONED_IMPORT_AGE
    abandoned = db.session.scalar(select(func.count()).select_from(StaffImport).where(stale)) or 0
    if not dry_run:
        for item in due:
            erase_person(item.user, actor=None, school=None, today=today)
        db.session.execute(delete(StaffImport).where(stale))
        db.session.flush()
    return RetentionResult(due, abandoned, dry_run)
