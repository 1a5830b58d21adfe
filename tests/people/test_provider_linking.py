"""Who a Microsoft or Google account may sign in as, against the real test provider: verified addresses in
a domain the school allows, membership accepted, invitations joined in one step, no one created, no
takeover by a reused address, the leaders' two-step rule, and passwords switched off by a school."""

from __future__ import annotations

from datetime import date

import pyotp
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, InvitationStatus, Membership, MembershipInvitation, Role, User
from app.models.base import utcnow
from app.web.auth.routes import PASSWORDS_OFF, SIGN_IN_FAILED
from tests.conftest import PASSWORD, csrf_token_from
from tests.people.conftest import OTHER_TENANT, SCHOOL_TENANT
from tests.support.provider_sign_in import (
    allow_sign_in,
    assert_refused,
    links_of,
    sign_in_with,
    signed_in_as,
)

PROVIDERS = ["microsoft", "google"]


@pytest.fixture
def client(oidc_app):
    return oidc_app.test_client()


@pytest.fixture
def school(make_school):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    return school


@pytest.fixture
def leaders_need_two_step(oidc_app, monkeypatch):
    monkeypatch.setitem(oidc_app.config, "TWO_STEP_REQUIRED_FOR_LEADERS", True)


def users_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def with_two_step(user: User) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    user.two_step_secret, user.two_step_enabled_at = secret, utcnow()
    db.session.commit()
    return pyotp.TOTP(secret)


def post(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(page)})


def invite(school, email: str, *, with_password: bool = False, make_person=None) -> User:
    user = User(email=email, name="Newcomer Person")
    if with_password:
        from app.people.passwords import hash_password

        user.password_hash = hash_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    db.session.add(
        MembershipInvitation(
            school_id=school.id,
            user_id=user.id,
            role=Role.TEACHER,
            started_on=date(2025, 9, 1),
            invited_name="Newcomer",
        )
    )
    db.session.commit()
    return user


# ---- the provider must vouch for the address, and the school must allow it ----------------------


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_an_unverified_email_is_refused(provider, client, school, make_person, provider_name):
    person = make_person(school, Role.TEACHER, email="unverified@alpha.example.org")
    assert_refused(client, sign_in_with(client, provider_name, "unverified"))
    assert links_of(person.id) == []


def test_a_consumer_google_account_with_a_school_address_is_refused(provider, client, school, make_person):
    """Google vouches for the address but not that it is the school's Workspace account (no `hd`)."""
    person = make_person(school, Role.TEACHER, email="consumer@alpha.example.org")
    assert_refused(client, sign_in_with(client, "google", "consumer"))
    assert links_of(person.id) == []


def test_a_domain_the_school_does_not_allow_is_refused(provider, client, school, make_person):
    person = make_person(school, Role.TEACHER, email="teacher@elsewhere.example.org")
    assert_refused(client, sign_in_with(client, "google", "elsewhere"))
    assert links_of(person.id) == []


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_an_account_with_no_invitation_is_refused_and_no_one_is_created(provider, client, school, provider_name):
    before = users_count()
    account = "stranger" if provider_name == "google" else "teacher"
    assert_refused(client, sign_in_with(client, provider_name, account))
    assert users_count() == before


def test_a_provider_the_school_has_not_switched_on_is_refused(provider, client, make_school, make_person):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, google=False)
    person = make_person(school, Role.TEACHER, email="teacher@alpha.example.org")
    assert_refused(client, sign_in_with(client, "google", "teacher"))
    assert sign_in_with(client, "microsoft", "teacher").status_code == 302
    assert signed_in_as(client, person)


def test_a_leaver_cannot_sign_in_with_a_linked_account(provider, oidc_app, school, make_person):
    person = make_person(school, Role.TEACHER, email="teacher@alpha.example.org")
    assert sign_in_with(oidc_app.test_client(), "google", "teacher").status_code == 302
    person.active = False
    db.session.commit()
    client = oidc_app.test_client()
    assert_refused(client, sign_in_with(client, "google", "teacher"))


def test_switching_the_provider_off_stops_linked_accounts(provider, oidc_app, school, make_person):
    person = make_person(school, Role.TEACHER, email="teacher@alpha.example.org")
    assert sign_in_with(oidc_app.test_client(), "microsoft", "teacher").status_code == 302
    from app.people.models import SchoolSignIn

    setting = db.session.scalars(select(SchoolSignIn).where(SchoolSignIn.school_id == school.id)).one()
    setting.microsoft_tenant_id = OTHER_TENANT
    db.session.commit()
    client = oidc_app.test_client()
    assert_refused(client, sign_in_with(client, "microsoft", "teacher"))
    assert len(links_of(person.id)) == 1


# ---- linking by subject, never by email alone ---------------------------------------------------


def test_a_renamed_mailbox_address_given_to_someone_new_cannot_take_over(provider, oidc_app, school, make_person):
    """The teacher's mailbox is renamed and their old address goes to a new colleague's account: that
    account has the address SEND Ready knows the teacher by, but the teacher's link is by subject."""
    teacher = make_person(school, Role.TEACHER, email="teacher@alpha.example.org")
    assert sign_in_with(oidc_app.test_client(), "microsoft", "teacher").status_code == 302
    provider.change_account(SCHOOL_TENANT, "teacher", email="t.smith@alpha.example.org")
    provider.change_account(SCHOOL_TENANT, "renamed", email="teacher@alpha.example.org")
    newcomer = oidc_app.test_client()
    assert_refused(newcomer, sign_in_with(newcomer, "microsoft", "renamed"))
    [link] = links_of(teacher.id)
    assert link.subject == f"{SCHOOL_TENANT}:teacher"
    # The teacher, under their new address, still signs in.
    again = oidc_app.test_client()
    assert sign_in_with(again, "microsoft", "teacher").status_code == 302
    assert signed_in_as(again, teacher)


def test_an_invited_person_who_has_not_joined_is_not_linked_as_a_member(provider, client, make_school, make_person):
    """Invited by a school that allows the address, they may join; but a school that has only invited
    them never has them signed in as its member without that step."""
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    person = invite(school, "newcomer@alpha.example.org")
    response = sign_in_with(client, "microsoft", "newcomer")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/microsoft/join"
    assert links_of(person.id) == [] and not signed_in_as(client, person)


# ---- joining by invitation in one step ---------------------------------------------------------


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_an_invited_person_joins_and_links_in_one_step(provider, client, make_school, provider_name):
    school = make_school("Alpha Primary")
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    person = invite(school, "newcomer@alpha.example.org")
    response = sign_in_with(client, provider_name, "newcomer")
    page = client.get(response.headers["Location"])
    text = " ".join(page.get_data(as_text=True).split())
    assert "Join Alpha Primary?" in text and "as Teacher" in text
    response = post(client, f"/sign-in/{provider_name}/join", {"answer": "accept"})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert signed_in_as(client, person)
    assert db.session.scalar(
        select(Membership.id).where(Membership.user_id == person.id, Membership.school_id == school.id)
    )
    assert [link.provider.value for link in links_of(person.id)] == [provider_name]
    invitation = db.session.scalars(select(MembershipInvitation).where(MembershipInvitation.user_id == person.id)).one()
    assert invitation.status is InvitationStatus.ACCEPTED


def test_an_invited_person_may_decline_instead(provider, client, make_school):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    person = invite(school, "newcomer@alpha.example.org")
    sign_in_with(client, "google", "newcomer")
    response = post(client, "/sign-in/google/join", {"answer": "decline"})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in_as(client, person) and links_of(person.id) == []
    db.session.expire_all()
    assert db.session.scalars(select(MembershipInvitation.status)).one() is InvitationStatus.DECLINED


def test_an_invitation_withdrawn_while_reading_it_gets_the_same_answer(provider, client, make_school):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    person = invite(school, "newcomer@alpha.example.org")
    sign_in_with(client, "google", "newcomer")
    page = client.get("/sign-in/google/join")
    invitation = db.session.scalars(select(MembershipInvitation)).one()
    invitation.status = InvitationStatus.WITHDRAWN
    db.session.commit()
    response = client.post("/sign-in/google/join", data={"answer": "accept", "csrf_token": csrf_token_from(page)})
    assert_refused(client, response)
    assert links_of(person.id) == []


def test_the_join_step_without_a_provider_sign_in_goes_back_to_sign_in(client):
    response = client.get("/sign-in/google/join")
    assert response.status_code == 200 and "Sign in with Google again to carry on" in response.get_data(as_text=True)


def test_an_invitation_from_a_school_that_does_not_allow_the_address_is_refused(provider, client, make_school):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, domains=("beta.example.org",))
    before = users_count()
    invite(school, "newcomer@alpha.example.org")
    assert_refused(client, sign_in_with(client, "microsoft", "newcomer"))
    assert users_count() == before + 1


# ---- the leaders' two-step rule ----------------------------------------------------------------


def test_a_leader_with_the_providers_mfa_claim_at_a_school_that_trusts_it_needs_no_code(
    provider, client, make_school, make_person, leaders_need_two_step
):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, trust_mfa=True)
    head = make_person(school, Role.HEADTEACHER, email="head@alpha.example.org")
    response = sign_in_with(client, "microsoft", "head-mfa")
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert signed_in_as(client, head)
    with client.session_transaction() as session:
        assert session["second_step"] == "provider" and session["signed_in_with"] == "microsoft"


@pytest.mark.parametrize(
    ("account", "email", "trust"),
    [
        ("head-mfa", "head@alpha.example.org", False),  # the claim, but the school does not trust it
        ("head-password-only", "head2@alpha.example.org", True),  # trusted, but no claim
    ],
)
def test_a_leader_otherwise_gives_send_readys_own_code(
    provider, client, make_school, make_person, leaders_need_two_step, account, email, trust
):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, trust_mfa=trust)
    head = make_person(school, Role.HEADTEACHER, email=email)
    totp = with_two_step(head)
    response = sign_in_with(client, "microsoft", account)
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in_as(client, head)
    response = post(client, "/sign-in", {"code": totp.now()})
    assert response.status_code == 302 and signed_in_as(client, head)
    with client.session_transaction() as session:
        assert session["second_step"] == "code" and session["signed_in_with"] == "microsoft"


def test_a_leader_without_two_step_sets_it_up_after_the_provider(
    provider, client, school, make_person, leaders_need_two_step
):
    head = make_person(school, Role.HEADTEACHER, email="head2@alpha.example.org")
    sign_in_with(client, "microsoft", "head-password-only")
    page = client.get("/sign-in")
    assert "Set up two-step sign-in" in page.get_data(as_text=True) and not signed_in_as(client, head)


def test_the_claim_counts_only_if_every_school_that_asks_trusts_it(
    provider, client, make_school, make_person, leaders_need_two_step
):
    """Head at a school that trusts the claim, SENCO at one that allows Microsoft but does not."""
    trusting, doubting = make_school(), make_school()
    allow_sign_in(trusting, microsoft_tenant=SCHOOL_TENANT, trust_mfa=True)
    allow_sign_in(doubting, microsoft_tenant=SCHOOL_TENANT, trust_mfa=False)
    head = make_person(trusting, Role.HEADTEACHER, email="head@alpha.example.org")
    db.session.add(Membership(user_id=head.id, school_id=doubting.id, role=Role.SENCO, started_on=date(2024, 9, 1)))
    db.session.commit()
    with_two_step(head)
    response = sign_in_with(client, "microsoft", "head-mfa")
    assert response.headers["Location"] == "/sign-in" and not signed_in_as(client, head)


# ---- passwords off at a school that requires provider sign-in -----------------------------------


def test_a_school_requiring_provider_sign_in_turns_its_peoples_passwords_off(
    provider, client, make_school, make_person
):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, required=True)
    teacher = make_person(school, Role.TEACHER, email="teacher@alpha.example.org")
    response = post(client, "/sign-in", {"email": teacher.email, "password": PASSWORD})
    assert response.status_code == 200 and SIGN_IN_FAILED in response.get_data(as_text=True)
    assert not signed_in_as(client, teacher)
    assert sign_in_with(client, "google", "teacher").status_code == 302 and signed_in_as(client, teacher)


def test_its_administrator_keeps_a_recovery_path_with_send_readys_code(provider, client, make_school, make_person):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, required=True)
    admin = make_person(school, Role.SCHOOL_ADMIN, email="admin@alpha.example.org")
    totp = with_two_step(admin)
    response = post(client, "/sign-in", {"email": admin.email, "password": PASSWORD})
    # Even with two-step sign-in optional on this site, the recovery path asks for the code.
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in_as(client, admin)
    assert post(client, "/sign-in", {"code": totp.now()}).status_code == 302
    assert signed_in_as(client, admin)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password_recovery_sign_in")).one()
    assert event.school_id == school.id and event.subject_user_id == admin.id


def test_choosing_a_password_from_an_invitation_does_not_sign_in_where_passwords_are_off(provider, client, make_school):
    from app.models import TokenPurpose
    from app.people import accounts

    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT, required=True)
    person = invite(school, "newcomer@alpha.example.org")
    raw = accounts.issue_token(person, TokenPurpose.INVITATION, school_id=school.id)
    db.session.commit()
    new_password = "a long enough pass phrase for this"
    response = post(client, f"/set-password/{raw}", {"password": new_password, "confirm": new_password})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert PASSWORDS_OFF in client.get("/sign-in").get_data(as_text=True)
    assert not signed_in_as(client, person)
