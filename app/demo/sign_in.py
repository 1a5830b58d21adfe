"""Demo data for signing in with Microsoft or Google: Oakfield allows both, for its own email domain,
with the Microsoft tenant that `make oidc-demo`'s test provider plays (tests/people/oidc/demo.json).
Riverside uses passwords only. Without a configured provider the sign-in page shows the buttons as not
configured. Changes nothing when run again."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import School
from app.people.models import SchoolSignIn

DEMO_TENANT_ID = "5f1a8c2e-4b7d-4e9a-9c3f-0d2b6a1e7c44"
DEMO_SIGN_IN_SCHOOL_URN = "100001"  # Oakfield
DEMO_SIGN_IN_DOMAIN = "oakfield.example.org"


def load_demo_sign_in() -> None:
    school = db.session.scalars(select(School).where(School.urn == DEMO_SIGN_IN_SCHOOL_URN)).one()
    if db.session.scalars(select(SchoolSignIn).where(SchoolSignIn.school_id == school.id)).first() is None:
        db.session.add(
            SchoolSignIn(
                school_id=school.id,
                microsoft_enabled=True,
                microsoft_tenant_id=DEMO_TENANT_ID,
                google_enabled=True,
                email_domains=DEMO_SIGN_IN_DOMAIN,
                trust_provider_mfa=True,
                provider_required=False,
            )
        )
        db.session.flush()
