"""Demo data: a local authority, two schools and a person in every role. Safe to run again."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from app.demo.school_content import load_demo_school_content
from app.demo.sign_in import load_demo_sign_in
from app.extensions import db
from app.models import Membership, Organisation, OrganisationKind, Role, School, SchoolPhase, User
from app.people.passwords import hash_password

DEMO_ORGANISATION = "Demo Borough Council"
DEMO_SCHOOLS = [
    ("100001", "Oakfield Primary School", SchoolPhase.PRIMARY, "oakfield"),
    ("100002", "Riverside Academy", SchoolPhase.SECONDARY, "riverside"),
]
PEOPLE_PER_SCHOOL = [
    ("ta", "Teaching assistant", [Role.TEACHING_ASSISTANT]),
    ("teacher", "Teacher", [Role.TEACHER]),
    # A teacher who is also the SENCO: two roles at one school.
    ("senco", "SENCO", [Role.SENCO, Role.TEACHER]),
    ("head", "Headteacher", [Role.HEADTEACHER]),
    ("governor", "Governor", [Role.GOVERNOR]),
    ("send-governor", "SEND governor", [Role.SEND_GOVERNOR, Role.GOVERNOR]),
    ("admin", "School administrator", [Role.SCHOOL_ADMIN]),
]
FIRST_NAMES = {
    "oakfield": ["Amara", "Ben", "Chloe", "Dev", "Ellen", "Farid", "Grace"],
    "riverside": ["Hana", "Isaac", "Jo", "Kwame", "Leila", "Marek", "Nadia"],
}
SURNAMES = {"oakfield": "Oakley", "riverside": "Rivers"}
# Someone who governs at both schools, to show switching school in the header.
SHARED_GOVERNOR = ("governor@two-schools.example.org", "Olu Twofold")
OFFICER = ("officer@demo-borough.example.org", "Priya Officer")
WORDS = [
    "amber",
    "brook",
    "cedar",
    "dune",
    "ember",
    "fern",
    "grove",
    "harbour",
    "inlet",
    "juniper",
    "kestrel",
    "linden",
    "meadow",
    "nettle",
    "orchard",
]


@dataclass
class DemoResult:
    password: str | None
    created: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        lines = []
        if self.password is None:
            lines.append(
                "Demo data is already in place. Passwords are printed only when accounts are created: "
                "run `flask demo --reset-passwords` for a new one."
            )
        else:
            lines.append("Demo accounts (every one uses the password below; it is shown only this once):")
            lines.append("")
            for email, name, where in self.accounts:
                lines.append(f"  {email:<42} {name:<28} {where}")
            lines.append("")
            lines.append(f"  Password: {self.password}")
        return "\n".join(lines)


def _new_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or "-".join(secrets.choice(WORDS) for _ in range(4))


def load_demo_data(*, reset_passwords: bool = False, today: date | None = None) -> DemoResult:
    today = today or date.today()
    start = date(today.year - 1 if today.month < 9 else today.year, 9, 1)
    organisation = db.session.scalars(select(Organisation).where(Organisation.name == DEMO_ORGANISATION)).first()
    creating = organisation is None
    if organisation is None:
        organisation = Organisation(name=DEMO_ORGANISATION, kind=OrganisationKind.LOCAL_AUTHORITY)
        db.session.add(organisation)
        db.session.flush()
    password = _new_password() if (creating or reset_passwords) else None
    password_hash = hash_password(password) if password else None
    result = DemoResult(password=password)

    def person(email: str, name: str) -> User:
        user = db.session.scalars(select(User).where(User.email == email)).first()
        if user is None:
            user = User(email=email, name=name, password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            result.created.append(email)
        elif password_hash:
            user.password_hash = password_hash
        return user

    def give_role(user: User, role: Role, *, school: School | None = None, org: Organisation | None = None):
        exists = db.session.scalars(
            select(Membership).where(
                Membership.user_id == user.id,
                Membership.role == role,
                Membership.school_id == (school.id if school else None),
                Membership.organisation_id == (org.id if org else None),
            )
        ).first()
        if exists is None:
            db.session.add(
                Membership(
                    user_id=user.id,
                    role=role,
                    started_on=start,
                    school_id=school.id if school else None,
                    organisation_id=org.id if org else None,
                )
            )

    for urn, name, phase, slug in DEMO_SCHOOLS:
        school = db.session.scalars(select(School).where(School.urn == urn)).first()
        if school is None:
            school = School(urn=urn, name=name, phase=phase, organisation_id=organisation.id)
            db.session.add(school)
            db.session.flush()
        for (local, title, roles), first in zip(PEOPLE_PER_SCHOOL, FIRST_NAMES[slug], strict=True):
            email = f"{local}@{slug}.example.org"
            user = person(email, f"{first} {SURNAMES[slug]}")
            for role in roles:
                give_role(user, role, school=school)
            result.accounts.append((email, title, name))
        shared = person(*SHARED_GOVERNOR)
        give_role(shared, Role.GOVERNOR, school=school)

    result.accounts.append((SHARED_GOVERNOR[0], "Governor at both schools", "both schools"))
    officer = person(*OFFICER)
    give_role(officer, Role.LA_OFFICER, org=organisation)
    result.accounts.append((OFFICER[0], "Local authority officer", DEMO_ORGANISATION))
    load_demo_administration(today)
    load_demo_joining(today)
    load_demo_sign_in()
    db.session.flush()
    load_demo_school_content(today)
    load_demo_self_assessment(today)
    _load_demo_training(result, today, password_hash)
    return result


def _load_demo_training(result: DemoResult, today: date, password_hash: str | None) -> None:
    """Training history at Oakfield (every dashboard status), and its newest teaching assistant."""
    from flask import current_app

    from app.demo.training import DEMO_NEW_TA, load_demo_training

    load_demo_training(current_app.extensions["catalogue"], today, password_hash)
    newcomer = db.session.scalars(select(User).where(User.email == DEMO_NEW_TA[0])).first()
    if newcomer is not None:
        if password_hash:
            newcomer.password_hash = password_hash
        result.accounts.append((DEMO_NEW_TA[0], "Teaching assistant, new this term", "Oakfield Primary School"))
    db.session.flush()


# Oakfield's governors on the governance key questions: two earlier rounds with agreed positions (so
# the trend has a line) and one open now with a couple of answers in. Ratings per question, in order.
DEMO_GOVERNANCE_HISTORY = [
    (365, ["developing", "not_yet", "developing", "developing"]),
    (182, ["established", "developing", "established", "developing"]),
]
DEMO_GOVERNANCE_ACTIONS = [
    # (round index, question index, what, owner, days after the round opened it is due, status)
    (0, 1, "The SEND governor completes training on the board's SEND duties.", "SEND governor", 90, "done"),
    (
        0,
        0,
        "Put a termly SEND report from the SENCO on the full board's agenda.",
        "Chair of governors",
        120,
        "in_progress",
    ),
]


def load_demo_self_assessment(today: date) -> None:
    """Self-assessment rounds at Oakfield, led by its SEND governor. Skipped if Oakfield has any round."""
    from datetime import UTC, datetime, timedelta

    from app.content import catalogue
    from app.self_assessment import answers, positions, rounds
    from app.self_assessment.models import ActionStatus, RatingLevel, SelfAssessmentRound

    school = db.session.scalars(select(School).where(School.urn == DEMO_SCHOOLS[0][0])).one()
    if db.session.scalars(select(SelfAssessmentRound.id).where(SelfAssessmentRound.school_id == school.id)).first():
        return
    people = {user.email: user for user in db.session.scalars(select(User).where(User.email.like("%governor@%")))}
    lead = people["send-governor@oakfield.example.org"]
    answering = [people["governor@oakfield.example.org"], people[SHARED_GOVERNOR[0]]]
    question_set = catalogue().key_question_sets["governance"]
    roles = [Role.GOVERNOR, Role.SEND_GOVERNOR]

    def open_on(opened: date, key: str):
        # Rounds are opened as if today, then moved back to when they ran.
        round_ = rounds.open_round(
            school=school,
            lead=lead,
            lead_roles=frozenset({Role.SEND_GOVERNOR, Role.GOVERNOR}),
            question_set=question_set,
            closes_on=today + timedelta(days=21) if opened == today else today,
            invited_roles=roles,
            request_key=key,
            today=today,
            now=datetime.combine(opened, datetime.min.time(), UTC).replace(hour=9),
        )
        return round_, {response.user_id: response for response in round_.responses}

    def answer(round_, response, ratings: list[str], when: datetime, *, submit: bool):
        typed = {
            question["id"]: answers.AnswerInput(
                RatingLevel(rating),
                f"Board minutes and visits suggest question {number} is {RatingLevel(rating).label.lower()}.",
                "Discuss at the next full board meeting.",
            )
            for number, (question, rating) in enumerate(zip(round_.questions, ratings, strict=True), start=1)
        }
        answers.save_response(
            round_=round_,
            response=response,
            expected_version=response.version,
            answers=typed,
            submit=submit,
            today=today,
            now=when,
        )

    held_rounds = []
    for index, (days_ago, ratings) in enumerate(DEMO_GOVERNANCE_HISTORY):
        opened = today - timedelta(days=days_ago)
        round_, responses = open_on(opened, f"demo-governance-{index}")
        agreed_at = datetime.combine(opened + timedelta(days=25), datetime.min.time(), UTC).replace(hour=18)
        for person in answering:
            answer(round_, responses[person.id], ratings, agreed_at - timedelta(days=7), submit=True)
        positions.save_position(
            round_=round_,
            agreed_by=lead,
            expected_version=round_.position_version,
            positions={
                question["id"]: positions.PositionInput(RatingLevel(rating), "Agreed at the full board meeting.")
                for question, rating in zip(round_.questions, ratings, strict=True)
            },
            action_statuses={},
            now=agreed_at,
        )
        round_.closes_on = opened + timedelta(days=21)
        held_rounds.append(round_)
        db.session.flush()
    for round_index, question_index, what, owner, due_in, status in DEMO_GOVERNANCE_ACTIONS:
        round_ = held_rounds[round_index]
        action = positions.add_action(
            round_=round_,
            created_by=lead,
            question_id=round_.questions[question_index]["id"],
            description=what,
            owner=owner,
            due_on=round_.opened_at.date() + timedelta(days=due_in),
            status=ActionStatus(status),
            request_key=f"demo-governance-action-{round_index}-{question_index}",
        )
        if action.status is ActionStatus.DONE:
            action.completed_at = round_.opened_at + timedelta(days=due_in - 10)
    now_round, responses = open_on(today, "demo-governance-now")
    now = datetime.now(UTC)
    answer(
        now_round,
        responses[answering[0].id],
        ["established", "established", "established", "developing"],
        now,
        submit=True,
    )
    answer(
        now_round,
        responses[answering[1].id],
        ["established", "developing", "embedded", "developing"],
        now,
        submit=False,
    )
    db.session.flush()


# Joining by consent: Oakfield has invited Riverside's teacher onto its board (they can accept or decline
# at /invitations), and the governor of both schools shares their CPD record with Oakfield.
DEMO_INVITATION = ("teacher@riverside.example.org", "Isaac Rivers", Role.GOVERNOR)


def load_demo_joining(today: date) -> None:
    from app.models import InvitationStatus, MembershipInvitation, RecordSharing
    from app.models.base import utcnow

    oakfield = db.session.scalars(select(School).where(School.urn == DEMO_SCHOOLS[0][0])).one()
    head = db.session.scalars(select(User).where(User.email == "head@oakfield.example.org")).one()
    email, typed_name, role = DEMO_INVITATION
    invited = db.session.scalars(select(User).where(User.email == email)).one()
    already = db.session.scalars(
        select(MembershipInvitation.id).where(
            MembershipInvitation.school_id == oakfield.id, MembershipInvitation.user_id == invited.id
        )
    ).first()
    if already is None:
        db.session.add(
            MembershipInvitation(
                school_id=oakfield.id,
                user_id=invited.id,
                role=role,
                started_on=today,
                invited_name=typed_name,
                invited_by_id=head.id,
                status=InvitationStatus.PENDING,
            )
        )
    shared = db.session.scalars(select(User).where(User.email == SHARED_GOVERNOR[0])).one()
    sharing = db.session.scalars(
        select(RecordSharing).where(RecordSharing.user_id == shared.id, RecordSharing.school_id == oakfield.id)
    ).first()
    if sharing is None:
        db.session.add(RecordSharing(user_id=shared.id, school_id=oakfield.id, shared_at=utcnow()))
    db.session.flush()


# Oakfield's board has terms of office (the chair's ends soon, to show the warning) and the school has
# a leaver, so that the leavers list, rejoining and erasure can be tried. Changes nothing when run again.
DEMO_LEAVER = ("leaver@oakfield.example.org", "Quinn Oakley")


def load_demo_administration(today: date) -> None:
    school = db.session.scalars(select(School).where(School.urn == DEMO_SCHOOLS[0][0])).one()
    terms = {
        "governor@oakfield.example.org": (date(today.year - 3, 9, 1), today + timedelta(days=45), True),
        "send-governor@oakfield.example.org": (date(today.year - 1, 9, 1), date(today.year + 3, 8, 31), False),
    }
    for email, (started, ends, chair) in terms.items():
        membership = db.session.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(User.email == email, Membership.school_id == school.id, Membership.role == Role.GOVERNOR)
        ).first()
        if membership is not None and membership.term_ends_on is None:
            membership.term_started_on, membership.term_ends_on, membership.is_chair = started, ends, chair
    if db.session.scalars(select(User).where(User.email == DEMO_LEAVER[0])).first() is None:
        leaver = User(email=DEMO_LEAVER[0], name=DEMO_LEAVER[1], active=False)
        db.session.add(leaver)
        db.session.flush()
        db.session.add(
            Membership(
                user_id=leaver.id,
                school_id=school.id,
                role=Role.TEACHING_ASSISTANT,
                started_on=date(today.year - 4, 9, 1),
                ended_on=today - timedelta(days=60),
            )
        )
    db.session.flush()
