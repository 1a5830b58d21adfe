"""The person's side of joining a school: their pending invitations, one item a school, which they accept
or decline signed in as themselves. Answering claims each pending row once, so two tabs join once and
an invitation already answered or withdrawn says so and changes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from app.extensions import db
from app.models import AuditAction, InvitationStatus, Membership, MembershipInvitation, Role, School, User
from app.people.invitations import claim_pending
from app.platform import record_event


class NotYourInvitation(LookupError):
    """The signed-in person is not the one the invitation was sent to."""


class InvitationGone(LookupError):
    """The invitation was answered or withdrawn already; the message says which, for the person."""


@dataclass(frozen=True)
class SchoolInvitation:
    """A school's pending invitations to one person, answered together."""

    school: School
    invitations: tuple[MembershipInvitation, ...]

    @property
    def first_id(self) -> int:
        return self.invitations[0].id

    @property
    def roles(self) -> list[Role]:
        return sorted({i.role for i in self.invitations}, key=list(Role).index)

    @property
    def role_labels(self) -> str:
        return " and ".join(role.label for role in self.roles)

    @property
    def invited_on(self) -> datetime:
        return min(i.created_at for i in self.invitations)


def pending_for(user: User) -> list[SchoolInvitation]:
    """The person's pending invitations, one item a school, oldest first."""
    rows = db.session.scalars(
        select(MembershipInvitation)
        .where(MembershipInvitation.user_id == user.id, MembershipInvitation.status == InvitationStatus.PENDING)
        .order_by(MembershipInvitation.id)
    )
    grouped: dict[int, list[MembershipInvitation]] = defaultdict(list)
    for invitation in rows:
        grouped[invitation.school_id].append(invitation)
    return [SchoolInvitation(group[0].school, tuple(group)) for group in grouped.values()]


def invitation_for(user: User, invitation_id: int) -> SchoolInvitation:
    """The school's invitation that this id belongs to, for the signed-in person.

    Raises `NotYourInvitation` when it was sent to someone else (or does not exist: the two read the
    same, so that ids reveal nothing), and `InvitationGone` when it was answered or withdrawn.
    """
    invitation = db.session.get(MembershipInvitation, invitation_id)
    if invitation is None or invitation.user_id != user.id:
        raise NotYourInvitation(invitation_id)
    if invitation.status is not InvitationStatus.PENDING:
        raise InvitationGone(_gone_message(invitation))
    for item in pending_for(user):
        if item.school.id == invitation.school_id:
            return item
    raise InvitationGone(_gone_message(invitation))  # pragma: no cover - answered between the two reads


def _gone_message(invitation: MembershipInvitation) -> str:
    school = invitation.school.name
    return {
        InvitationStatus.ACCEPTED: f"You have already accepted this invitation: you are a member of {school}.",
        InvitationStatus.DECLINED: (
            f"You declined this invitation. If you want to join {school}, ask them to invite you again."
        ),
        InvitationStatus.WITHDRAWN: f"{school} withdrew this invitation. Ask them if you expected to join.",
    }.get(invitation.status, "This invitation has already been answered.")


def accept(user: User, school_id: int, today: date | None = None) -> list[Membership]:
    """The person joins the school in every role it invited them to. Returns the roles it started."""
    today = today or date.today()
    claimed = claim_pending(user.id, school_id, InvitationStatus.ACCEPTED)
    started = []
    for invitation in claimed:
        held = db.session.scalar(
            select(Membership).where(
                Membership.user_id == user.id,
                Membership.school_id == school_id,
                Membership.role == invitation.role,
                (Membership.ended_on.is_(None)) | (Membership.ended_on >= today),
            )
        )
        if held is None:
            held = Membership(
                user_id=user.id,
                school_id=school_id,
                role=invitation.role,
                started_on=invitation.started_on,
                invited_by_id=invitation.invited_by_id,
            )
            db.session.add(held)
            db.session.flush()
            started.append(held)
        invitation.membership_id = held.id
    if claimed:
        record_event(
            AuditAction.INVITATION_ACCEPTED,
            school_id=school_id,
            actor_id=user.id,
            subject_user_id=user.id,
            details={"roles": [i.role.value for i in claimed]},
        )
    db.session.flush()
    return started


def decline(user: User, school_id: int) -> bool:
    """The person says no: the school's invitations to them end, and it keeps nothing of theirs."""
    claimed = claim_pending(user.id, school_id, InvitationStatus.DECLINED)
    if claimed:
        record_event(
            AuditAction.INVITATION_DECLINED,
            school_id=school_id,
            actor_id=user.id,
            subject_user_id=user.id,
            details={"roles": [i.role.value for i in claimed]},
        )
    db.session.flush()
    return bool(claimed)
