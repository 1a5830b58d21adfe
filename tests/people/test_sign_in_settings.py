"""The pages around signing in with Microsoft or Google: a school's settings, the person's linked accounts,
the sign-in page's buttons (configured or not), signing out, the rate limit, erasure and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Role
from app.people import erasure
from app.people.models import SchoolSignIn, SignInIdentity
from tests.conftest import TEST_SETTINGS, IsolatedContextClient, csrf_token_from, sign_in
from tests.people.conftest import SCHOOL_TENANT
from tests.people.test_provider_linking import with_two_step
from tests.support.provider_sign_in import allow_sign_in, links_of, sign_in_with, sign_out, signed_in_as

SETTINGS = "/school/people/sign-in"


def settings_form(**changes) -> dict:
    form = {
        "microsoft_enabled": "y",
        "microsoft_tenant_id": SCHOOL_TENANT.upper(),
        "google_enabled": "y",
        "email_domains": "alpha.example.org\n@Beta.example.org",
        "trust_provider_mfa": "yes",
        "provider_required": "no",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def save(client, **changes):
    page = client.get(SETTINGS)
    return client.post(SETTINGS, data={**settings_form(**changes), "csrf_token": csrf_token_from(page)})


def school_setting(school) -> SchoolSignIn | None:
    db.session.expire_all()
    return db.session.scalars(select(SchoolSignIn).where(SchoolSignIn.school_id == school.id)).first()


# ---- the school's settings page ----------------------------------------------------------------


def test_a_headteacher_switches_on_microsoft_and_google_sign_in(signed_in_client):
    client, _, school = signed_in_client
    page = client.get(SETTINGS)
    assert page.status_code == 200 and "How your staff sign in" in page.get_data(as_text=True)
    response = save(client)
    assert response.status_code == 302
    setting = school_setting(school)
    assert setting.microsoft_enabled and setting.google_enabled and setting.trust_provider_mfa
    assert setting.microsoft_tenant_id == SCHOOL_TENANT and setting.domains == ("alpha.example.org", "beta.example.org")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_settings_changed")).one()
    assert event.school_id == school.id and "email_domains" in event.details["changed"]
    # Saving the same choices again changes and logs nothing.
    save(client)
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_settings_changed")).all()) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"microsoft_tenant_id": "not-a-tenant"}, "microsoft_tenant_id", "Enter the tenant ID as Microsoft shows it"),
        ({"microsoft_tenant_id": ""}, "microsoft_tenant_id", "Enter your Microsoft tenant ID"),
        ({"email_domains": ""}, "email_domains", "Enter at least one email domain"),
        ({"email_domains": "alpha.example.org\nnot a domain!"}, "email_domains", "Enter email domains like"),
        ({"provider_required": "yes"}, "provider_required", "Set up two-step sign-in on your account first"),
        (
            {"provider_required": "yes", "microsoft_enabled": None, "google_enabled": None},
            "provider_required",
            "Switch on Microsoft or Google sign-in before you require it",
        ),
    ],
)
def test_bad_settings_are_explained_and_what_was_typed_is_kept(signed_in_client, changes, field, message):
    client, _, school = signed_in_client
    response = save(client, **changes)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and message in text and f'href="#{field}' in text
    assert text.count("alpha.example.org") >= 1 or changes.get("email_domains") == ""
    assert school_setting(school) is None


def test_requiring_provider_sign_in_needs_the_admins_own_two_step(signed_in_client):
    client, head, school = signed_in_client
    with_two_step(head)
    assert save(client, provider_required="yes").status_code == 302
    assert school_setting(school).provider_required


def test_a_teacher_may_not_change_how_the_school_signs_in(client, make_school, make_person):
    school = make_school()
    sign_in(client, make_person(school, Role.TEACHER))
    assert client.get(SETTINGS).status_code == 403


def test_the_people_page_links_to_the_settings_for_those_who_manage_them(signed_in_client):
    client, _, _ = signed_in_client
    assert SETTINGS in client.get("/school/people/").get_data(as_text=True)


# ---- the sign-in page's buttons ----------------------------------------------------------------


def test_without_a_provider_the_buttons_say_they_are_not_configured(client):
    page = " ".join(client.get("/sign-in").get_data(as_text=True).split())
    for label in ("Microsoft", "Google"):
        assert f"Sign in with {label}</button>" in page
        assert f"Not configured: this site has no {label} client set up yet." in page
    assert page.count("disabled") >= 2 and 'action="/sign-in/google"' not in page


def test_pressing_an_unconfigured_button_anyway_changes_nothing(client):
    page = client.get("/sign-in")
    response = client.post("/sign-in/google", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200 and "not set up on this site" in response.get_data(as_text=True)


def test_in_production_unconfigured_buttons_are_not_shown(app, database_url):
    production = create_app(
        {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, "PRODUCTION": True, "SECRET_KEY": "p" * 40}
    )
    production.test_client_class = IsolatedContextClient
    page = production.test_client().get("/sign-in").get_data(as_text=True)
    assert "Sign in with Microsoft" not in page and "Or sign in with your email address" not in page


def test_configured_buttons_are_forms_that_work_without_javascript(oidc_app, oidc_provider):
    response = oidc_app.test_client().get("/sign-in?next=/cpd/")
    page = response.get_data(as_text=True)
    assert 'action="/sign-in/microsoft?next=/cpd/"' in page and 'action="/sign-in/google?next=/cpd/"' in page
    assert "Not configured" not in page
    # A browser holds the form's redirect to the provider to the page's form-action: the provider is in it.
    assert f"form-action 'self' {oidc_provider.base_url};" in response.headers["Content-Security-Policy"]


def test_other_pages_keep_forms_to_this_site(oidc_app):
    response = oidc_app.test_client().get("/forgot-password")
    assert "form-action 'self';" in response.headers["Content-Security-Policy"]


# ---- the person's linked accounts, and signing out ---------------------------------------------


@pytest.fixture
def linked_teacher(provider, oidc_app, make_school, make_person):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    teacher = make_person(school, Role.TEACHER, email="teacher@alpha.example.org")
    client = oidc_app.test_client()
    assert sign_in_with(client, "microsoft", "teacher").status_code == 302
    return client, teacher


def test_people_see_and_remove_their_linked_accounts(linked_teacher, make_person):
    client, teacher = linked_teacher
    page = " ".join(client.get("/account/").get_data(as_text=True).split())
    assert (
        "Microsoft" in page and "teacher@alpha.example.org" in page and "You signed in this time with Microsoft" in page
    )
    [link] = links_of(teacher.id)
    other = make_person(None, email="other@alpha.example.org")
    others_link = SignInIdentity(user_id=other.id, provider="google", subject="other", email=other.email)
    db.session.add(others_link)
    db.session.commit()
    token = csrf_token_from(client.get("/account/"))
    assert (
        client.post(f"/account/sign-in-accounts/{others_link.id}/remove", data={"csrf_token": token}).status_code == 404
    )
    response = client.post(f"/account/sign-in-accounts/{link.id}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    assert links_of(teacher.id) == [] and len(links_of(other.id)) == 1
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_account_removed")).one()
    assert "No Microsoft or Google account signs you in" in client.get("/account/").get_data(as_text=True)


def test_signing_out_does_not_pretend_to_sign_out_of_the_provider(linked_teacher):
    client, teacher = linked_teacher
    response = sign_out(client)
    assert response.status_code == 302
    page = " ".join(client.get("/sign-in").get_data(as_text=True).split())
    assert "You have signed out of SEND Ready. You are still signed in to your Microsoft account" in page
    assert not signed_in_as(client, teacher)


def test_provider_sign_in_is_rate_limited_per_address(provider, oidc_app, monkeypatch, linked_teacher):
    monkeypatch.setitem(oidc_app.config, "SIGN_IN_RATE_LIMIT", "3 per minute")
    client = oidc_app.test_client()
    statuses = [client.get("/sign-in/google/callback?state=x&code=y").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


def test_erasure_removes_the_linked_accounts(linked_teacher):
    _, teacher = linked_teacher
    person = db.session.get(type(teacher), teacher.id)
    for membership in person.memberships:
        membership.ended_on = membership.started_on
    db.session.commit()
    erasure.erase_person(person, actor=None, school=None)
    db.session.commit()
    assert links_of(teacher.id) == []
