"""Signing in with Microsoft or Google against a real OpenID provider on 127.0.0.1 (tests/people/oidc):
the code flow with PKCE, state and nonce, and every check on the ID token.

Every refusal gets the same answer (`assert_refused`) and signs no one in; the reason is only logged.
"""

from __future__ import annotations

import logging

import pytest
import requests

from app.models import AuditEvent, Role
from tests.people.conftest import SCHOOL_TENANT
from tests.support.oidc_provider import OTHER_CLIENT_ID
from tests.support.provider_sign_in import (
    allow_sign_in,
    assert_refused,
    at_provider,
    callback_prefix,
    links_of,
    query_value,
    sign_in_with,
    sign_out,
    signed_in_as,
    start,
    with_query,
)

PROVIDERS = ["microsoft", "google"]


@pytest.fixture
def teacher(make_school, make_person):
    school = make_school()
    allow_sign_in(school, microsoft_tenant=SCHOOL_TENANT)
    return make_person(school, Role.TEACHER, email="teacher@alpha.example.org")


@pytest.fixture
def client(oidc_app):
    return oidc_app.test_client()


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_a_good_sign_in_links_the_account_by_its_subject(provider, client, teacher, provider_name):
    response = sign_in_with(client, provider_name, "teacher", next_path="/cpd/")
    assert response.status_code == 302 and response.headers["Location"] == "/cpd/"
    assert signed_in_as(client, teacher)
    [link] = links_of(teacher.id)
    assert link.provider.value == provider_name and link.email == teacher.email
    # Microsoft's stable subject is the tenant and object ids; Google's is `sub`.
    assert link.subject == (f"{SCHOOL_TENANT}:teacher" if provider_name == "microsoft" else "teacher")
    with client.session_transaction() as session:
        assert session["signed_in_with"] == provider_name
    linked = AuditEvent.query.filter_by(action="sign_in_account_linked", subject_user_id=teacher.id).one()
    assert linked.details["provider"] == provider_name and linked.school_id is not None


@pytest.mark.parametrize(("provider_name", "realm"), [("microsoft", SCHOOL_TENANT), ("google", "google")])
def test_a_second_sign_in_finds_the_person_by_subject_after_the_email_changed(
    provider, oidc_app, teacher, provider_name, realm
):
    sign_in_with(oidc_app.test_client(), provider_name, "teacher")
    provider.change_account(realm, "teacher", email="t.smith@alpha.example.org")
    again = oidc_app.test_client()
    response = sign_in_with(again, provider_name, "teacher")
    assert response.status_code == 302
    assert signed_in_as(again, teacher)
    [link] = links_of(teacher.id)
    assert link.email == "t.smith@alpha.example.org"


@pytest.mark.parametrize("fault", ["audience", "issuer", "expired", "key"])
@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_an_id_token_with_anything_wrong_is_refused(provider, client, teacher, provider_name, fault, caplog):
    """Another client's audience, another issuer, expired, or signed with a key the provider does not publish."""
    caplog.set_level(logging.INFO, logger="app.web.auth.providers")
    provider.next_token_fault(fault)
    assert_refused(client, sign_in_with(client, provider_name, "teacher"))
    assert links_of(teacher.id) == []
    reasons = " ".join(record.getMessage() for record in caplog.records)
    expected = {"audience": "aud", "issuer": "iss", "expired": "xpired", "key": "ignature"}[fault]
    assert expected in reasons, reasons
    # The same account signs in once the provider behaves.
    assert sign_in_with(client, provider_name, "teacher").status_code == 302
    assert signed_in_as(client, teacher)


def test_an_entra_token_whose_issuer_is_not_its_own_tenant_is_refused(provider, client, teacher, caplog):
    """Issued by the school's tenant, but naming another tenant in `tid`: the issuer must be the token's own."""
    caplog.set_level(logging.INFO, logger="app.web.auth.providers")
    assert_refused(client, sign_in_with(client, "microsoft", "claims-other-tenant"))
    assert "iss" in " ".join(record.getMessage() for record in caplog.records)
    assert links_of(teacher.id) == []


def test_an_entra_account_from_a_tenant_no_school_allows_is_refused(provider, client, teacher):
    """The same verified address, from another organisation's tenant: a genuine token, but not the school's."""
    assert_refused(client, sign_in_with(client, "microsoft", "other-tenant-teacher"))
    assert links_of(teacher.id) == []


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_a_replayed_code_is_refused(provider, oidc_app, teacher, provider_name):
    first = oidc_app.test_client()
    callback = at_provider(start(first, provider_name), provider_name, "teacher")
    assert first.get(callback).status_code == 302
    # The same answer again, in the same browser: its state was used up.
    sign_out(first)
    assert_refused(first, first.get(callback))
    # The code with a fresh state of another browser's own: the provider refuses a code used once.
    second = oidc_app.test_client()
    fresh = start(second, provider_name)
    assert_refused(second, second.get(with_query(callback, state=query_value(fresh, "state"))))


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_a_stolen_code_is_useless_without_its_browsers_pkce_verifier(provider, oidc_app, teacher, provider_name):
    victim = oidc_app.test_client()
    callback = at_provider(start(victim, provider_name), provider_name, "teacher")
    attacker = oidc_app.test_client()
    own_state = query_value(start(attacker, provider_name), "state")
    assert_refused(attacker, attacker.get(with_query(callback, state=own_state)))


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_a_forged_state_is_refused_before_the_code_is_used(provider, client, teacher, provider_name):
    callback = at_provider(start(client, provider_name), provider_name, "teacher")
    assert_refused(client, client.get(with_query(callback, state="forged-state")))
    # The code was never redeemed: the real answer still signs the person in.
    assert client.get(callback).status_code == 302
    assert signed_in_as(client, teacher)


@pytest.mark.parametrize("provider_name", PROVIDERS)
def test_a_code_issued_to_another_client_is_refused(provider, client, teacher, provider_name):
    authorize = start(client, provider_name)
    callback = at_provider(with_query(authorize, client_id=OTHER_CLIENT_ID), provider_name, "teacher")
    assert_refused(client, client.get(callback))
    assert links_of(teacher.id) == []


def test_the_authorization_request_carries_pkce_state_and_nonce(provider, client, teacher):
    authorize = start(client, "google")
    assert query_value(authorize, "code_challenge_method") == "S256"
    assert len(query_value(authorize, "code_challenge")) >= 43
    assert len(query_value(authorize, "state")) >= 20 and len(query_value(authorize, "nonce")) >= 20
    assert query_value(authorize, "scope") == "openid email profile"
    assert query_value(authorize, "redirect_uri") == callback_prefix("google")


def test_an_error_from_the_provider_gets_the_same_answer(provider, client, teacher):
    state = query_value(start(client, "microsoft"), "state")
    response = client.get(f"{callback_prefix('microsoft')}?error=access_denied&state={state}")
    assert_refused(client, response)


def test_a_provider_that_cannot_be_reached_gets_the_same_answer(app, database_url, teacher):
    from app import create_app
    from tests.conftest import TEST_SETTINGS, IsolatedContextClient

    unreachable = create_app(
        {
            **TEST_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "GOOGLE_CLIENT_ID": "x",
            "GOOGLE_CLIENT_SECRET": "y",
            "GOOGLE_METADATA_URL": "http://127.0.0.1:9/.well-known/openid-configuration",
        }
    )
    unreachable.test_client_class = IsolatedContextClient
    client = unreachable.test_client()
    from tests.conftest import csrf_token_from

    page = client.get("/sign-in")
    response = client.post("/sign-in/google", data={"csrf_token": csrf_token_from(page)})
    assert_refused(client, response)


def test_the_provider_is_real(provider):
    """Discovery and keys come from the package itself, over HTTP."""
    document = requests.get(provider.google_metadata_url, timeout=5).json()
    assert document["code_challenge_methods_supported"] == ["S256"]
    keys = requests.get(document["jwks_uri"], timeout=5).json()["keys"]
    assert keys and all("d" not in key for key in keys)
    organizations = requests.get(provider.microsoft_metadata_url, timeout=5).json()
    assert organizations["issuer"].endswith("/{tenantid}/v2.0")
