"""Joining a school by consent: a school invites someone to a role, and they accept or decline.

A person is one account across schools, and a school may hold only people who chose to join it.
So a school never adds a person by their email address alone: inviting anyone who does not already
work at the school (by the invite page, a staff file or any other path) makes a pending invitation,
and a membership starts only when the person accepts it while signed in as themselves. A new person
accepts by choosing their password through the invitation's link.

What the inviting school sees meanwhile is what it typed (the name and the address) and "invited",
whether or not the address already had an account, so that inviting reveals nothing about who uses
SEND Ready. Someone who already works at the school can be given another role there straight away
(the school holds them already), subject to who may grant which role (`app/permissions.py`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from flask import abort, current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditAction, InvitationStatus, Membership, MembershipInvitation, Role, School, TokenPurpose, User
from app.models.base import utcnow
from app.people import accounts
from app.permissions import check_grant
from app.platform import AnotherPerson, public_url, queue_email, record_event


class AlreadyInvited(ValueError):
    """The school has already invited the address to that role and is waiting for an answer."""


class Invited(enum.StrEnum):
    """What inviting did: an invitation waits for an answer, or a person already here got the role."""

    INVITATION_SENT = "invitation_sent"
    ROLE_ADDED = "role_added"


def works_at(user_id: int, school_id: int, today: date | None = None) -> bool:
    """Whether the person holds a current role at the school."""
    today = today or date.today()
    return (
        db.session.scalar(
            select(Membership.id)
            .where(Membership.user_id == user_id, Membership.school_id == school_id, Membership.is_current(today))
            .limit(1)
        )
        is not None
    )


def invite(
    *,
    school: School,
    email_address: str,
    name: str,
    role: Role,
    started_on: date,
    invited_by: User | None,
    today: date | None = None,
) -> Invited:
    """Invite someone to a role at the school, or give it straight away to someone already here.

    `invited_by` is None for the command-line import, which the deployment's operators run. Raises
    `RoleGrantRefused` (the granter may not give that role), `accounts.AlreadyMember` or
    `AlreadyInvited`.
    """
    today = today or date.today()
    if role.is_organisation_role:
        raise ValueError("organisation roles are not given at a school")
    address = accounts.normalise_email(email_address)
    user = accounts.find_user_by_email(address)
    if invited_by is not None:
        check_grant(granter=invited_by, school=school, target_user_id=user.id if user else None, role=role)
    if user is not None and works_at(user.id, school.id, today):
        accounts.add_role(user=user, school=school, role=role, started_on=started_on, by=invited_by)
        return Invited.ROLE_ADDED
    if user is None:
        user = User(email=address, name=name.strip())
        db.session.add(user)
        db.session.flush()
    elif user.erased_at is not None:  # pragma: no cover - an erased address is a pseudonym, never typed
        raise AlreadyInvited("That address cannot be invited")
    elif not user.active:
        # Someone who left every school (their account was switched off) can sign in again to answer.
        accounts.reactivate(user)
    pending = db.session.scalar(
        select(MembershipInvitation.id).where(
            MembershipInvitation.school_id == school.id,
            MembershipInvitation.user_id == user.id,
            MembershipInvitation.role == role,
            MembershipInvitation.status == InvitationStatus.PENDING,
        )
    )
    if pending is not None:
        raise AlreadyInvited(f"{address} has already been invited as {_role_phrase(role)}")
    invitation = MembershipInvitation(
        school_id=school.id,
        user_id=user.id,
        role=role,
        started_on=started_on,
        invited_name=name.strip() or address,
        invited_by_id=invited_by.id if invited_by else None,
    )
    db.session.add(invitation)
    db.session.flush()
    record_event(
        AuditAction.PERSON_INVITED,
        school_id=school.id,
        actor_id=invited_by.id if invited_by else None,
        subject_user_id=user.id,
        details={"role": role.value, "invitation": invitation.id},
    )
    send_invitation(invitation, inviter=invited_by)
    return Invited.INVITATION_SENT


def send_invitation(invitation: MembershipInvitation, *, inviter: User | None) -> None:
    """Email the invitation: someone with no password yet chooses one through a link that also
    accepts; someone with an account signs in to accept or decline."""
    user, school = invitation.user, invitation.school
    common = {
        "kind": "invitation",
        "to": user.email,
        "user_id": user.id,
        "school_id": school.id,
        "name": user.name,
        "school": school.name,
        "role": invitation.role.label,
        "inviter": AnotherPerson(inviter.name) if inviter else school.name,
    }
    if not user.has_password:
        send_password_link(user, school=school, role=invitation.role, inviter=inviter)
        return
    queue_email(
        template="invitation_to_join",
        link=public_url("invitations.show_invitation", invitation_id=invitation.id),
        **common,
    )


def send_password_link(user: User, *, school: School, role: Role, inviter: User | None) -> None:
    """Email someone with no password yet a link to choose one; choosing it accepts the school's
    invitation. Any earlier link from this school stops working."""
    raw = accounts.issue_token(user, TokenPurpose.INVITATION, school_id=school.id)
    queue_email(
        kind="invitation",
        to=user.email,
        template="invitation",
        user_id=user.id,
        school_id=school.id,
        name=user.name,
        school=school.name,
        role=role.label,
        inviter=AnotherPerson(inviter.name) if inviter else school.name,
        link=public_url("auth.set_password", token=raw),
        days=current_app.config["INVITATION_VALID_FOR"].days,
    )


def _role_phrase(role: Role) -> str:
    label = role.label if role in (Role.SENCO, Role.SEND_GOVERNOR) else role.label.lower()
    return f"{'an' if label[0] in 'aeiouAEIOU' else 'a'} {label}"


# ---- the school's side ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitingInvitation:
    """One person the school has invited and who has not answered: only what the school typed."""

    id: int
    name: str
    email: str
    roles: tuple[Role, ...]
    started_on: date
    invited_on: datetime

    @property
    def role_labels(self) -> str:
        return ", ".join(role.label for role in self.roles)


def waiting_at(school: School) -> list[WaitingInvitation]:
    """The school's pending invitations, one line a person, by the name the school gave. One query."""
    rows = db.session.execute(
        select(
            MembershipInvitation.id,
            MembershipInvitation.user_id,
            MembershipInvitation.invited_name,
            User.email,
            MembershipInvitation.role,
            MembershipInvitation.started_on,
            MembershipInvitation.created_at,
        )
        .join(User, User.id == MembershipInvitation.user_id)
        .where(MembershipInvitation.school_id == school.id, MembershipInvitation.status == InvitationStatus.PENDING)
        .order_by(MembershipInvitation.invited_name, MembershipInvitation.id)
    )
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.user_id, []).append(row)
    order = {role: index for index, role in enumerate(Role)}
    return [
        WaitingInvitation(
            id=group[0].id,
            name=group[0].invited_name,
            email=group[0].email,
            roles=tuple(sorted({row.role for row in group}, key=order.__getitem__)),
            started_on=min(row.started_on for row in group),
            invited_on=min(row.created_at for row in group),
        )
        for group in grouped.values()
    ]


def school_invitation_or_404(school: School, invitation_id: int) -> MembershipInvitation:
    """One of the school's own pending invitations; anything else is 'not found'."""
    invitation = db.session.scalar(
        select(MembershipInvitation).where(
            MembershipInvitation.id == invitation_id,
            MembershipInvitation.school_id == school.id,
            MembershipInvitation.status == InvitationStatus.PENDING,
        )
    )
    if invitation is None:
        abort(404)
    return invitation


def resend(school: School, invitation: MembershipInvitation, *, by: User) -> None:
    """Send the invitation's email again (a new link for someone who has not chosen a password)."""
    send_invitation(invitation, inviter=by)


def withdraw(school: School, invitation: MembershipInvitation, *, by: User) -> bool:
    """Take back the school's invitations to that person. False if they answered meanwhile."""
    claimed = claim_pending(invitation.user_id, school.id, InvitationStatus.WITHDRAWN)
    if claimed:
        record_event(
            AuditAction.INVITATION_WITHDRAWN,
            school_id=school.id,
            actor_id=by.id,
            subject_user_id=invitation.user_id,
            details={"roles": [i.role.value for i in claimed]},
        )
    db.session.flush()
    return bool(claimed)


def claim_pending(user_id: int, school_id: int, status: InvitationStatus) -> list[MembershipInvitation]:
    """Answer the school's pending invitations to the person, once: a second tab or a double click finds
    nothing left to answer. Returns the invitations this call answered."""
    pending = list(
        db.session.scalars(
            select(MembershipInvitation)
            .where(
                MembershipInvitation.user_id == user_id,
                MembershipInvitation.school_id == school_id,
                MembershipInvitation.status == InvitationStatus.PENDING,
            )
            .order_by(MembershipInvitation.id)
        )
    )
    claimed = []
    now = utcnow()
    for invitation in pending:
        won = db.session.execute(
            update(MembershipInvitation)
            .where(MembershipInvitation.id == invitation.id, MembershipInvitation.status == InvitationStatus.PENDING)
            .values(status=status, responded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            db.session.refresh(invitation)
            claimed.append(invitation)
    return claimed
