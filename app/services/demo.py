"""Demo data: a local authority, two schools and a person in every role. Safe to run again."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Organisation, OrganisationKind, Role, School, SchoolPhase, User
from app.services.passwords import hash_password

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
    db.session.flush()
    return result
