"""Two-step sign-in in Chromium, on a live site where leaders must use it, as they must in production.

The other browser tests' site lets leaders sign in with a password alone (tests/browser/conftest.py),
so this module starts a site of its own with TWO_STEP_REQUIRED_FOR_LEADERS on, once for all its
tests. Each test is a different demo leader's first sign-in, so each meets the set-up page, and the
codes one test uses cannot be refused as used by another. The authenticator app is played by
pyotp, reading the key the set-up page writes out for people who cannot scan a QR code.

With JavaScript on, axe-core checks every page of the journeys (set-up, its error state, the
recovery codes, the pages after, the security code page, its error state and its help opened).
With it off the same journeys run, and each page is checked for what it fails to load, but not
with axe-core, which is itself a script.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page

from app.demo.seed import DEMO_SCHOOLS
from app.people.two_step import RECOVERY_CODE_COUNT
from app.web.auth.two_step import CODE_FAILED
from tests.browser.helpers import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_SCHOOL_SLUG,
    SUMMARY,
    KeyboardUser,
    axe_problem,
    skip_without_chromium,
    submit,
)
from tests.browser.sweep import PageWatcher

skip_without_chromium()
pytestmark = pytest.mark.browser

OTHER_SCHOOL_SLUG = DEMO_SCHOOLS[1][3]


def _at_other_school(email: str) -> str:
    return email.replace(f"@{DEMO_SCHOOL_SLUG}.", f"@{OTHER_SCHOOL_SLUG}.")


# Every test signs in as a leader no other test uses, the first time, with JavaScript on or off.
JOURNEYS = [
    pytest.param(True, DEMO_ACCOUNTS["headteacher"], id="javascript-on"),
    pytest.param(False, _at_other_school(DEMO_ACCOUNTS["headteacher"]), id="javascript-off"),
]
KEYBOARD_JOURNEYS = [
    pytest.param(True, DEMO_ACCOUNTS["senco"], id="javascript-on"),
    pytest.param(False, _at_other_school(DEMO_ACCOUNTS["senco"]), id="javascript-off"),
]


@pytest.fixture(scope="module")
def live_site(serve_live_site):
    """This module's own site, with two-step sign-in required of leaders; `new_page` opens pages on it."""
    with serve_live_site(TWO_STEP_REQUIRED_FOR_LEADERS="true") as site:
        yield site


@dataclass
class Authenticator:
    """The leader's authenticator app: the key from the set-up page, and the last time-step it gave a code for."""

    secret: str
    used: int | None = None

    @classmethod
    def from_set_up_page(cls, page: Page) -> Authenticator:
        # The key is written in groups of four, as people type it into an app.
        key = page.locator("main .govuk-inset-text code").inner_text()
        secret = "".join(key.split())
        assert len(secret) >= 16 and secret.isalnum(), f"the set-up page shows no usable key: {key!r}"
        return cls(secret)

    def _now(self) -> int:
        return int(time.time()) // pyotp.TOTP(self.secret).interval

    def code(self) -> str:
        """The code the app shows now; if that one was used already, the next one (each code signs in once).

        The app accepts the code of the time-step either side of its own, for clocks that differ.
        """
        totp = pyotp.TOTP(self.secret)
        step = self._now() if self.used is None else max(self._now(), self.used + 1)
        while step > self._now() + 1:
            time.sleep(1)
        self.used = step
        return totp.generate_otp(step)

    def wrong_code(self) -> str:
        """Six digits that no time-step near now gives."""
        totp = pyotp.TOTP(self.secret)
        now = self._now()
        near = {totp.generate_otp(step) for step in range(now - 2, now + 4)}
        return next(code for code in (str(digit) * 6 for digit in range(10)) if code not in near)


@dataclass
class Checks:
    """The problems found along a journey, reported together at its end so that one hides no other."""

    page: Page
    who: str
    javascript: bool
    pages: int = 0
    problems: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.name = f"javascript-{'on' if self.javascript else 'off'}"
        # A QR code the browser refused, a JavaScript error: broken pages that axe does not report.
        self.watcher = PageWatcher(self.page)

    def page_done(self, step: str) -> None:
        """Check the page as it is now: with axe-core when JavaScript is on.

        axe-core is itself a script, and waits on timers that never fire while scripts are off, so
        with JavaScript off the journey checks that each page works and loads everything it needs.
        """
        self.pages += 1
        if self.javascript:
            self.problems.append(axe_problem(self.page, self.who, f"two-step-{self.name}-{step}"))
        self.problems += [f"{self.page.url} ({step}): {problem}" for problem in self.watcher.take()]

    def error_summary(self, step: str, message: str) -> None:
        """The page is in its error state: an error summary naming the problem, linked to the field."""
        summary = self.page.locator(".govuk-error-summary")
        assert summary.is_visible(), f"no error summary on {self.page.url} ({step})"
        assert self.page.title().startswith("Error: "), f"the title does not say Error: {self.page.title()!r}"
        link = summary.get_by_role("link", name=message)
        assert link.count() == 1, f"the error summary does not say {message!r}: {summary.inner_text()!r}"
        target = link.get_attribute("href")
        assert target and self.page.locator(target).count() == 1, f"the error links to no field: {target!r}"
        self.page_done(step)

    def assert_none(self, pytestconfig) -> None:
        summary = pytestconfig.stash.setdefault(SUMMARY, [])
        how = "checked with axe-core" if self.javascript else "checked without axe-core, which needs scripts"
        summary.append(f"two-step sign-in ({self.name}): {self.pages} pages {how}")
        problems = [problem for problem in self.problems if problem]
        assert not problems, "\n\n".join(problems)


def _javascript_as_set(page: Page, javascript: bool) -> None:
    # GOV.UK Frontend's script marks the body once it runs: proof the setting took effect.
    runs = page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
    assert runs is javascript, f"JavaScript {'did not run' if javascript else 'ran'} on {page.url}"


def _password(page: Page, email: str, expected_heading: str) -> None:
    """Sign in with the password, which leads to the second step on the same address."""
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    submit(page)
    assert urlsplit(page.url).path == "/sign-in", f"the password as {email} led to {page.url}"
    assert page.locator("h1").inner_text() == expected_heading


def _sign_out(page: Page) -> None:
    submit(page, "button:text-is('Sign out')")
    assert "You have signed out." in page.locator(".govuk-notification-banner").inner_text()


def _recovery_codes(page: Page) -> list[str]:
    codes = page.locator("main ul.govuk-list code").all_inner_texts()
    assert len(codes) == RECOVERY_CODE_COUNT and len(set(codes)) == len(codes), codes
    return codes


@pytest.mark.parametrize(("javascript", "email"), JOURNEYS)
def test_a_leader_sets_up_and_uses_two_step_sign_in(new_page, pytestconfig, javascript, email):
    page = new_page(javascript=javascript)
    checks = Checks(page, email, javascript)

    # The first sign-in: the password leads to setting up an authenticator app.
    _password(page, email, "Set up two-step sign-in")
    _javascript_as_set(page, javascript)
    qr_code = page.locator("main img[src^='data:image/svg+xml']")
    assert qr_code.count() == 1, "no QR code on the set-up page"
    assert qr_code.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR code did not load"
    alt = qr_code.get_attribute("alt") or ""
    assert "written below" in alt, f"the QR code's text alternative does not point to the key: {alt!r}"
    checks.page_done("set-up")
    app = Authenticator.from_set_up_page(page)

    page.fill("#code", app.wrong_code())
    submit(page)
    checks.error_summary("set-up-wrong-code", CODE_FAILED)
    assert Authenticator.from_set_up_page(page).secret == app.secret, "a wrong code changed the key"

    page.fill("#code", app.code())
    submit(page)
    assert page.locator("h1").inner_text() == "Two-step sign-in is on"
    codes = _recovery_codes(page)
    checks.page_done("recovery-codes")

    submit(page, "a:text-is('I have saved my codes: continue')")
    assert urlsplit(page.url).path == "/home"
    checks.page_done("home")
    page.goto("/account/")
    assert (
        f"On, {RECOVERY_CODE_COUNT} recovery codes left" in page.locator("main .govuk-summary-list").first.inner_text()
    )
    checks.page_done("your-account")

    # New recovery codes, proved first by a wrong code, then by a recovery code (a used code cannot be reused).
    page.fill("#code_for_new_codes", app.wrong_code())
    submit(page, "button#submit_new_codes")
    checks.error_summary("new-recovery-codes-wrong-code", CODE_FAILED)
    page.fill("#code_for_new_codes", codes[0])
    submit(page, "button#submit_new_codes")
    assert page.locator("h1").inner_text() == "Your new recovery codes"
    new_codes = _recovery_codes(page)
    assert not set(new_codes) & set(codes)
    checks.page_done("new-recovery-codes")
    _sign_out(page)

    # Every later sign-in asks for a code.
    _password(page, email, "Enter your security code")
    checks.page_done("security-code")
    page.fill("#code", app.wrong_code())
    submit(page)
    checks.error_summary("security-code-wrong", CODE_FAILED)
    assert page.locator("h1").inner_text() == "Enter your security code"
    page.fill("#code", app.code())
    submit(page)
    assert urlsplit(page.url).path == "/home", f"the right code led to {page.url}"
    _sign_out(page)

    # Without the phone: a recovery code, found by opening the help under the form.
    _password(page, email, "Enter your security code")
    page.click("main details summary")
    assert page.locator("main details").evaluate("details => details.open"), "the help did not open"
    assert "recovery codes" in page.locator("main details").inner_text()
    checks.page_done("security-code-help-open")
    page.fill("#code", new_codes[0])
    submit(page)
    assert urlsplit(page.url).path == "/home", f"a recovery code led to {page.url}"
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert f"You have {RECOVERY_CODE_COUNT - 1} left" in banner, banner
    checks.page_done("home-after-recovery-code")
    _sign_out(page)

    checks.assert_none(pytestconfig)


# ----------------------------------------------------------------------------------------------
# The keyboard alone


def _keyboard_password(keys: KeyboardUser, email: str) -> None:
    """From the sign-in page: Tab to each field, type, Enter; the second step follows on /sign-in."""
    keys.tab_to(lambda element: element["id"] == "email", "the email address field")
    keys.type(email)
    assert keys.press("Tab")["id"] == "password", "Tab from the email address did not reach the password"
    keys.type(DEMO_PASSWORD)
    keys.follow("Enter", "**/sign-in")


def _keyboard_code(keys: KeyboardUser, code: str, url_pattern: str) -> None:
    """Tab to the security code field, type the code, press Enter."""
    keys.tab_to(lambda element: element["id"] == "code", "the security code field")
    keys.type(code)
    keys.follow("Enter", url_pattern)


@pytest.mark.parametrize(("javascript", "email"), KEYBOARD_JOURNEYS)
def test_two_step_sign_in_with_the_keyboard(new_page, javascript, email):
    page = new_page(javascript=javascript)
    page.goto("/sign-in")
    _javascript_as_set(page, javascript)
    keys = KeyboardUser(page)

    _keyboard_password(keys, email)
    assert page.locator("h1").inner_text() == "Set up two-step sign-in"
    app = Authenticator.from_set_up_page(page)
    _keyboard_code(keys, app.code(), "**/sign-in")
    assert page.locator("h1").inner_text() == "Two-step sign-in is on"
    keys.tab_to(lambda element: element["text"] == "I have saved my codes: continue", "the continue button")
    keys.follow("Enter", "**/home")

    keys.tab_to(lambda element: element["tag"] == "button" and element["text"] == "Sign out", "Sign out")
    keys.follow("Enter", "**/sign-in")
    _keyboard_password(keys, email)
    assert page.locator("h1").inner_text() == "Enter your security code"
    _keyboard_code(keys, app.wrong_code(), "**/sign-in")
    assert page.locator(".govuk-error-summary").is_visible(), "no error summary after a wrong code"
    # The field keeps what was typed: select it all and type the right code over it.
    _keyboard_code(keys, app.code(), "**/home")
    assert page.locator("h1").inner_text() == "Home"
    keys.assert_focus_always_visible()
