"""Signing in with Microsoft or Google in Chromium, with JavaScript on and off, through the real test
OpenID provider (tests/people/oidc/provider.mjs) on 127.0.0.1: the same one `make oidc-demo` runs, with
the demo's accounts.

The module starts its own live site, configured with both providers and with two-step sign-in required
of leaders (Oakfield, the demo school, trusts the provider's multi-factor sign-in), then the provider,
whose clients send people back to that site. With JavaScript on, axe-core checks each page of SEND
Ready's along the way; with it off, each journey must still work.
"""

from __future__ import annotations

import json
import socket
from datetime import date
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from app.web.auth.providers import PROVIDER_SIGN_IN_FAILED
from tests.browser.helpers import DEMO_SCHOOL_NAME, SUMMARY, axe_problem, skip_without_chromium
from tests.support.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    DEMO_CONFIG,
    clients,
    redirect_uris,
    run_provider,
)

skip_without_chromium()
pytestmark = pytest.mark.browser

DEMO = json.loads(DEMO_CONFIG.read_text())
TENANT = next(realm for realm in DEMO["accounts"] if realm != "google")
DOMAIN = "oakfield.example.org"
# Accounts these tests add to the demo's: newcomers the school invites, and someone it never did.
EXTRA_GOOGLE = {
    "google-newcomer": {
        "claims": {"email": f"g.newcomer@{DOMAIN}", "email_verified": True, "hd": DOMAIN, "name": "Gita Newcomer"}
    },
    "stranger": {
        "claims": {"email": f"stranger@{DOMAIN}", "email_verified": True, "hd": DOMAIN, "name": "Sam Stranger"}
    },
}
NEWCOMERS = {"newcomer": f"newcomer@{DOMAIN}", "google-newcomer": f"g.newcomer@{DOMAIN}"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def site_and_provider(serve_live_site, tmp_path_factory):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = {
        "MICROSOFT_CLIENT_ID": CLIENT_ID,
        "MICROSOFT_CLIENT_SECRET": CLIENT_SECRET,
        "MICROSOFT_METADATA_URL": f"{base}/organizations/v2.0/.well-known/openid-configuration",
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GOOGLE_METADATA_URL": f"{base}/google/.well-known/openid-configuration",
        "TWO_STEP_REQUIRED_FOR_LEADERS": "true",
    }
    with serve_live_site(**settings) as site:
        _invite_newcomers(site)
        accounts = {**DEMO["accounts"], "google": {**DEMO["accounts"]["google"], **EXTRA_GOOGLE}}
        config = {"port": port, "clients": clients(redirect_uris(site.base_url)), "accounts": accounts}
        with run_provider(config, tmp_path_factory.mktemp("oidc-provider")) as provider:
            yield site, provider


@pytest.fixture(scope="module")
def live_site(site_and_provider):
    """This module's own site; `new_page` opens pages on it."""
    return site_and_provider[0]


def _invite_newcomers(site) -> None:
    """Oakfield invites two people who have no account yet, as its headteacher would."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import MembershipInvitation, Role, School, User

    with site.app.app_context():
        school = db.session.scalars(select(School).where(School.name == DEMO_SCHOOL_NAME)).one()
        for email in NEWCOMERS.values():
            user = User(email=email, name="Newcomer")
            db.session.add(user)
            db.session.flush()
            db.session.add(
                MembershipInvitation(
                    school_id=school.id,
                    user_id=user.id,
                    role=Role.TEACHING_ASSISTANT,
                    started_on=date.today(),
                    invited_name="Newcomer",
                )
            )
        db.session.commit()


class Journey:
    """One person's way through, with the problems found on SEND Ready's pages kept for the end."""

    def __init__(self, page: Page, javascript: bool, who: str):
        self.page, self.javascript, self.who = page, javascript, who
        self.problems: list[str] = []
        self.pages = 0

    def check(self, step: str) -> None:
        self.pages += 1
        if self.javascript:
            self.problems.append(axe_problem(self.page, self.who, f"provider-{step}") or "")
        runs = self.page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
        assert runs is self.javascript, f"JavaScript {'did not run' if self.javascript else 'ran'} on {self.page.url}"

    def at_provider(self, provider: str, account_label: str) -> None:
        """From the sign-in page: press the button, then choose the account on the provider's pages."""
        self.page.goto("/sign-in")
        self.check("sign-in")
        self.page.click(f"#sign-in-with-{provider}")
        while urlsplit(self.page.url).path.startswith(("/organizations", "/google", f"/{TENANT}")):
            self.page.get_by_label(account_label).check()
            self.page.locator("button[type=submit]").click()
            self.page.wait_for_load_state()

    def assert_none(self, pytestconfig) -> None:
        summary = pytestconfig.stash.setdefault(SUMMARY, [])
        how = "checked with axe-core" if self.javascript else "without JavaScript"
        summary.append(f"sign-in with a provider ({self.who}): {self.pages} pages {how}")
        problems = [problem for problem in self.problems if problem]
        assert not problems, "\n\n".join(problems)


def _path(page: Page) -> str:
    return urlsplit(page.url).path


@pytest.mark.parametrize(
    ("javascript", "provider", "label", "email"),
    [
        pytest.param(True, "microsoft", "Ben Oakley", f"teacher@{DOMAIN}", id="microsoft-javascript-on"),
        pytest.param(False, "microsoft", "Amara Oakley", f"ta@{DOMAIN}", id="microsoft-javascript-off"),
        pytest.param(True, "google", "Ellen Oakley", f"governor@{DOMAIN}", id="google-javascript-on"),
        pytest.param(False, "google", "Ben Oakley", f"teacher@{DOMAIN}", id="google-javascript-off"),
    ],
)
def test_a_member_of_staff_signs_in_with_their_school_account(
    new_page, pytestconfig, javascript, provider, label, email
):
    page = new_page(javascript=javascript)
    journey = Journey(page, javascript, email)
    journey.at_provider(provider, label)
    assert _path(page) == "/home", f"{email} with {provider} ended at {page.url}"
    journey.check("home")
    page.goto("/account/")
    linked = page.locator("#sign-in-accounts ~ dl").first.inner_text()
    assert provider.title() in linked and email in linked, linked
    journey.check("account")
    page.get_by_role("button", name="Sign out").click()
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert f"still signed in to your {provider.title()} account" in banner, banner
    journey.assert_none(pytestconfig)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_a_headteacher_whose_school_trusts_the_providers_mfa_goes_straight_in(new_page, pytestconfig, javascript):
    page = new_page(javascript=javascript)
    journey = Journey(page, javascript, f"head@{DOMAIN}")
    journey.at_provider("microsoft", "Dev Oakley")
    # Two-step sign-in is required of leaders on this site; Microsoft's own counted for it.
    assert _path(page) == "/home", page.url
    page.goto("/account/")
    assert "whose own two-step sign-in your school accepts" in page.locator("main").inner_text()
    journey.check("account-after-mfa")
    journey.assert_none(pytestconfig)


@pytest.mark.parametrize(
    ("javascript", "provider", "label"),
    [
        pytest.param(True, "microsoft", "Nia Newcomer", id="javascript-on"),
        pytest.param(False, "google", "Gita Newcomer", id="javascript-off"),
    ],
)
def test_an_invited_person_joins_and_links_in_one_step(new_page, pytestconfig, javascript, provider, label):
    page = new_page(javascript=javascript)
    journey = Journey(page, javascript, label)
    journey.at_provider(provider, label)
    assert _path(page) == f"/sign-in/{provider}/join", page.url
    assert page.locator("h1").inner_text() == f"Join {DEMO_SCHOOL_NAME}?"
    journey.check("join")
    page.get_by_role("button", name=f"Join {DEMO_SCHOOL_NAME} and sign in").click()
    assert _path(page) == "/home", page.url
    assert f"You have joined {DEMO_SCHOOL_NAME}" in page.locator(".govuk-notification-banner").inner_text()
    journey.check("joined")
    journey.assert_none(pytestconfig)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_an_account_with_no_invitation_gets_the_one_answer(new_page, pytestconfig, javascript):
    page = new_page(javascript=javascript)
    journey = Journey(page, javascript, "stranger")
    journey.at_provider("google", "Sam Stranger")
    assert _path(page) == "/sign-in/google/callback", page.url
    summary = page.locator(".govuk-error-summary")
    assert PROVIDER_SIGN_IN_FAILED in " ".join(summary.inner_text().split())
    assert page.title().startswith("Error: ")
    target = summary.get_by_role("link").get_attribute("href")
    assert page.locator(target).count() == 1, target
    journey.check("refused")
    page.goto("/home")
    assert _path(page) == "/sign-in"
    journey.assert_none(pytestconfig)
