"""Journeys made with the keyboard alone, with JavaScript on and with it off.

Every page must work without JavaScript, and a keyboard user must always see where focus is:
each step checks the focused element's focus indicator (see helpers.KeyboardUser).
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.browser.helpers import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_SCHOOL_NAME,
    HEADTEACHER,
    OTHER_SCHOOL_NAME,
    TWO_SCHOOL_GOVERNOR,
    KeyboardUser,
    skip_without_chromium,
)

skip_without_chromium()
pytestmark = pytest.mark.browser

JAVASCRIPT = [pytest.param(True, id="javascript-on"), pytest.param(False, id="javascript-off")]


def _open(new_page, path: str, javascript: bool) -> KeyboardUser:
    page = new_page(javascript=javascript)
    page.goto(path)
    # GOV.UK Frontend's script marks the body once it runs: proof the setting took effect.
    runs = page.evaluate("() => document.body.classList.contains('govuk-frontend-supported')")
    assert runs is javascript, f"JavaScript {'did not run' if javascript else 'ran'} on {page.url}"
    return KeyboardUser(page)


def _sign_in(keys: KeyboardUser, email: str) -> None:
    """From the sign-in page: Tab to each field, type, Tab to the button, press Enter."""
    keys.tab_to(lambda element: element["id"] == "email", "the email address field")
    keys.type(email)
    assert keys.press("Tab")["id"] == "password", "Tab from the email address did not reach the password"
    keys.type(DEMO_PASSWORD)
    keys.tab_to(lambda element: element["tag"] == "button" and element["text"] == "Sign in", "Sign in")
    keys.follow("Enter", "**/home")
    assert keys.page.locator("h1").inner_text() == "Home"


def _sign_out(keys: KeyboardUser) -> None:
    keys.tab_to(lambda element: element["tag"] == "button" and element["text"] == "Sign out", "Sign out")
    keys.follow("Enter", "**/sign-in")
    assert "You have signed out." in keys.page.locator(".govuk-notification-banner").inner_text()
    keys.page.goto("/home")
    assert "/sign-in" in keys.page.url, "still signed in after signing out"


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_skip_link_leads_to_the_main_content(new_page, javascript):
    keys = _open(new_page, "/sign-in", javascript)
    first = keys.press("Tab")
    assert first is not None and first["text"] == "Skip to main content", first
    # The main element is a target, not a control, so it has no focus ring of its own to check.
    keys.page.keyboard.press("Enter")
    if javascript:
        # GOV.UK Frontend moves focus to the main element itself.
        assert keys.page.evaluate("() => document.activeElement.id") == "main-content"
    # Either way the next Tab goes on from the main content, past the header.
    after = keys.press("Tab")
    assert after is not None and after["inMain"] and after["id"] == "email", after
    keys.assert_focus_always_visible()


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_sign_in_and_out_with_the_keyboard(new_page, javascript):
    keys = _open(new_page, "/sign-in", javascript)
    _sign_in(keys, DEMO_ACCOUNTS["teacher"])
    _sign_out(keys)
    keys.assert_focus_always_visible()


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_headteacher_invites_someone_with_the_keyboard(new_page, javascript):
    keys = _open(new_page, "/sign-in", javascript)
    page = keys.page
    _sign_in(keys, HEADTEACHER)

    keys.tab_to(lambda element: element["tag"] == "a" and element["text"] == "People", "People in the menu")
    keys.follow("Enter", "**/school/people/")
    keys.tab_to(lambda element: element["text"] == "Invite someone", "the Invite someone button")
    # It is a link drawn as a button: GOV.UK Frontend's script lets Space press it, as on a
    # button; without the script a link answers Enter only.
    keys.follow("Space" if javascript else "Enter", "**/school/people/invite")

    name = f"Kai Keyboard {uuid.uuid4().hex[:6]}"
    email = f"kai-{uuid.uuid4().hex[:8]}@oakfield.example.org"
    keys.tab_to(lambda element: element["id"] == "name", "the full name field")
    keys.type(name)
    assert keys.press("Tab")["id"] == "email"
    keys.type(email)
    radio = keys.press("Tab")
    assert radio["type"] == "radio", f"Tab after the email address reached {radio}"
    keys.press("Space")  # chooses the first role
    keys.press("ArrowDown")  # moves to, and chooses, the second: Teacher
    assert page.evaluate("() => document.querySelector('input[name=role]:checked').value") == "teacher"
    today = date.today()
    for part in (today.day, today.month, today.year):
        box = keys.press("Tab")
        assert box["name"] == "started_on", f"expected a start date box, reached {box}"
        keys.type(str(part))
    keys.tab_to(lambda element: element["text"] == "Send invitation", "Send invitation")
    keys.follow("Enter", "**/school/people/")

    banner = page.locator(".govuk-notification-banner").inner_text()
    assert f"Invitation sent to {email}" in banner
    row = page.locator("tr", has_text=name)
    assert row.count() == 1, f"{name} is not in the list of people"
    assert "Teacher" in row.inner_text() and "Invited" in row.inner_text()
    _sign_out(keys)
    keys.assert_focus_always_visible()


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_two_school_governor_switches_school_with_the_keyboard(new_page, javascript):
    keys = _open(new_page, "/sign-in", javascript)
    page = keys.page
    _sign_in(keys, TWO_SCHOOL_GOVERNOR)
    header = page.locator(".app-header__account")
    assert f"at {DEMO_SCHOOL_NAME}" in header.inner_text()

    keys.tab_to(lambda element: element["id"] == "switch-context", "the Working in list")
    keys.press("ArrowDown")  # a closed list changes its choice with the arrow keys
    assert page.locator("#switch-context option:checked").inner_text() == OTHER_SCHOOL_NAME
    keys.tab_to(lambda element: element["tag"] == "button" and element["text"] == "Switch", "Switch")
    keys.follow("Enter", "**/home")

    assert f"at {OTHER_SCHOOL_NAME}" in header.inner_text()
    assert page.locator("#switch-context option:checked").inner_text() == OTHER_SCHOOL_NAME
    _sign_out(keys)
    keys.assert_focus_always_visible()


def test_the_focus_check_fails_without_a_visible_focus_indicator(new_page):
    """The focus check is not a no-op: focus that cannot be seen, or never changes, is reported."""
    page = new_page()
    page.set_content(
        """<!DOCTYPE html><html lang="en"><head><title>Hidden focus</title>
        <style>
          #hidden:focus { outline: none; }
          #unchanging, #unchanging:focus { outline: none; box-shadow: 0 0 0 3px #0b0c0c; }
          #visible:focus { outline: 3px solid rgb(255, 221, 0); }
        </style></head>
        <body><main>
          <button id="hidden">No focus ring</button>
          <a id="unchanging" href="#top">Always ringed</a>
          <button id="visible">Ringed when focused</button>
        </main></body></html>"""
    )
    keys = KeyboardUser(page)
    keys.tab_to(lambda element: element["id"] == "visible", "the last button")
    report = "\n".join(keys.problems)
    assert "<button#hidden> 'No focus ring' shows no focus indicator" in report, report
    assert "<a#unchanging> 'Always ringed' looks the same with and without focus" in report, report
    assert "#visible" not in report, report
    with pytest.raises(AssertionError, match="Focus was not visible"):
        keys.assert_focus_always_visible()


def _invited_person(live_site, *, school_name: str) -> str:
    """A person with an account who has a pending invitation from the school; their email."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import MembershipInvitation, Role, School, User
    from app.people.passwords import hash_password

    email = f"joining-{uuid.uuid4().hex[:8]}@riverside.example.org"
    with live_site.app.app_context():
        user = User(email=email, name="Jo Joiner", password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(user)
        db.session.flush()
        school = db.session.scalars(select(School).where(School.name == school_name)).one()
        db.session.add(
            MembershipInvitation(
                school_id=school.id, user_id=user.id, role=Role.TEACHER, started_on=date.today(), invited_name="Jo"
            )
        )
        db.session.commit()
    return email


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_someone_invited_accepts_with_the_keyboard(new_page, live_site, javascript):
    email = _invited_person(live_site, school_name=DEMO_SCHOOL_NAME)
    keys = _open(new_page, "/sign-in", javascript)
    page = keys.page
    _sign_in(keys, email)
    assert f"{DEMO_SCHOOL_NAME} has invited you to join it" in page.locator(".govuk-notification-banner").inner_text()
    keys.tab_to(lambda element: element["tag"] == "a" and element["text"].startswith("Accept or decline"), "the link")
    keys.follow("Enter", "**/invitations/*")
    assert page.locator("h1").inner_text() == f"Join {DEMO_SCHOOL_NAME}?"
    keys.tab_to(lambda element: element["text"] == f"Accept and join {DEMO_SCHOOL_NAME}", "Accept")
    keys.follow("Enter", "**/home")
    assert f"You have joined {DEMO_SCHOOL_NAME}" in page.locator(".govuk-notification-banner").inner_text()
    assert "Your training" in page.locator("main").inner_text()
    _sign_out(keys)
    keys.assert_focus_always_visible()


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_someone_invited_declines_with_the_keyboard(new_page, live_site, javascript):
    email = _invited_person(live_site, school_name=DEMO_SCHOOL_NAME)
    keys = _open(new_page, "/sign-in", javascript)
    page = keys.page
    _sign_in(keys, email)
    keys.tab_to(lambda element: element["tag"] == "a" and element["text"].startswith("Accept or decline"), "the link")
    keys.follow("Enter", "**/invitations/*")
    keys.tab_to(lambda element: element["text"] == "Decline", "Decline")
    keys.follow("Enter", "**/invitations/")
    assert "You declined the invitation" in page.locator(".govuk-notification-banner").inner_text()
    assert "You have no invitations waiting" in page.locator("main").inner_text()
    _sign_out(keys)
    keys.assert_focus_always_visible()
