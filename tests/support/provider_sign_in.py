"""Signing in through the test OpenID provider with the Flask test client, and checking the outcome."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from sqlalchemy import select

from app.extensions import db
from app.people.models import SchoolSignIn, SignInIdentity
from app.web.auth.providers import PROVIDER_SIGN_IN_FAILED
from tests.conftest import csrf_token_from
from tests.support.oidc_provider import sign_in_at_provider

BASE = "http://localhost"


def allow_sign_in(
    school,
    *,
    microsoft_tenant: str | None,
    google: bool = True,
    domains=("alpha.example.org",),
    trust_mfa: bool = False,
    required: bool = False,
) -> SchoolSignIn:
    """Switch Microsoft (with that tenant) and Google sign-in on at the school, as its admin would."""
    setting = SchoolSignIn(
        school_id=school.id,
        microsoft_enabled=microsoft_tenant is not None,
        microsoft_tenant_id=microsoft_tenant,
        google_enabled=google,
        email_domains="\n".join(domains),
        trust_provider_mfa=trust_mfa,
        provider_required=required,
    )
    db.session.add(setting)
    db.session.commit()
    return setting


def start(client, provider: str, next_path: str | None = None) -> str:
    """Press "Sign in with ..." on the sign-in page: the provider's authorization URL it sends the browser to."""
    page = client.get("/sign-in")
    action = f"/sign-in/{provider}" + (f"?{urlencode({'next': next_path})}" if next_path else "")
    response = client.post(action, data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def callback_prefix(provider: str) -> str:
    return f"{BASE}/sign-in/{provider}/callback"


def at_provider(authorize_url: str, provider: str, account: str) -> str:
    """The callback URL the provider sends the browser back to, once the account has signed in there."""
    return sign_in_at_provider(authorize_url, account, returns_to=callback_prefix(provider))


def sign_in_with(client, provider: str, account: str, next_path: str | None = None):
    """The whole journey: the app's button, the provider's pages, and the app's callback (its response)."""
    return client.get(at_provider(start(client, provider, next_path), provider, account))


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_value(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


def assert_refused(client, response) -> None:
    """The one answer for every failure, and nobody signed in."""
    assert response.status_code == 200, response.status_code
    page = " ".join(response.get_data(as_text=True).split())
    assert PROVIDER_SIGN_IN_FAILED in page
    assert response.headers.get("Cache-Control") == "no-store"
    home = client.get("/home")
    assert home.status_code == 302 and urlsplit(home.headers["Location"]).path == "/sign-in"


def signed_in_as(client, user) -> bool:
    page = client.get("/account/")
    return page.status_code == 200 and user.email in page.get_data(as_text=True)


def links_of(user_id: int) -> list[SignInIdentity]:
    db.session.expire_all()
    return list(db.session.scalars(select(SignInIdentity).where(SignInIdentity.user_id == user_id)))


def sign_out(client):
    page = client.get("/account/")
    return client.post("/sign-out", data={"csrf_token": csrf_token_from(page)})
