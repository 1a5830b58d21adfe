"""Fixtures for signing in with Microsoft or Google: the test OpenID provider, and the app pointed at it."""

from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import TEST_SETTINGS, IsolatedContextClient
from tests.support.oidc_provider import clients, redirect_uris, run_provider

# The school's Microsoft tenant, and another organisation's that no school in the tests allows.
SCHOOL_TENANT = "1a2b3c4d-0000-4000-8000-00000000000a"
OTHER_TENANT = "1a2b3c4d-0000-4000-8000-00000000000b"
DOMAIN = "alpha.example.org"


def _google(email: str, *, verified: bool = True, hd: str | None = DOMAIN, name: str = "A person") -> dict:
    claims = {"email": email, "email_verified": verified, "name": name}
    if hd:
        claims["hd"] = hd
    return {"claims": claims}


def _microsoft(email: str, *, verified: bool = True, mfa: bool = False, name: str = "A person", **claims) -> dict:
    return {
        "claims": {"email": email, "xms_edov": verified, "name": name, "preferred_username": email, **claims},
        "amr": ["pwd", "mfa"] if mfa else ["pwd"],
    }


# Each test makes the people these accounts may sign in as; the addresses are the tests' to choose.
ACCOUNTS = {
    "google": {
        "teacher": _google(f"teacher@{DOMAIN}"),
        "unverified": _google(f"unverified@{DOMAIN}", verified=False),
        # A consumer Google account made with a school address: Google does not say it is Workspace's.
        "consumer": _google(f"consumer@{DOMAIN}", hd=None),
        "elsewhere": _google("teacher@elsewhere.example.org", hd="elsewhere.example.org"),
        "stranger": _google(f"stranger@{DOMAIN}"),
        "newcomer": _google(f"newcomer@{DOMAIN}"),
    },
    SCHOOL_TENANT: {
        "teacher": _microsoft(f"teacher@{DOMAIN}"),
        "renamed": _microsoft(f"renamed@{DOMAIN}"),
        "head-mfa": _microsoft(f"head@{DOMAIN}", mfa=True),
        "head-password-only": _microsoft(f"head2@{DOMAIN}"),
        "newcomer": _microsoft(f"newcomer@{DOMAIN}"),
        "unverified": _microsoft(f"unverified@{DOMAIN}", verified=False),
        # Issued by the school's tenant, claiming to be another tenant's account.
        "claims-other-tenant": _microsoft(f"teacher@{DOMAIN}", tid=OTHER_TENANT),
    },
    OTHER_TENANT: {
        # The same address, in a tenant the school does not allow.
        "other-tenant-teacher": _microsoft(f"teacher@{DOMAIN}"),
    },
}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    config = {"port": 0, "clients": clients(redirect_uris("http://localhost")), "accounts": ACCOUNTS}
    with run_provider(config, tmp_path_factory.mktemp("oidc-provider")) as provider:
        yield provider


@pytest.fixture
def provider(oidc_provider):
    """The provider, its accounts as configured and no fault, for each test."""
    oidc_provider.reset()
    return oidc_provider


@pytest.fixture(scope="session")
def oidc_app(app, database_url, oidc_provider):
    """The app with Microsoft and Google sign-in configured against the test provider, on the same
    database as `app` (whose migrations built it)."""
    application = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, **oidc_provider.app_settings()})
    application.test_client_class = IsolatedContextClient
    return application
