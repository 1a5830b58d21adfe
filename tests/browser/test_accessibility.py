"""WCAG 2.2 AA, checked with axe-core in Chromium: every page, every role, and the error states."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Role
from tests.browser.helpers import (
    DEMO_ACCOUNTS,
    DESKTOP,
    HEADTEACHER,
    SUMMARY,
    axe_problem,
    describe_violations,
    run_axe,
    save_screenshot,
    sign_in,
    skip_without_chromium,
    submit,
)
from tests.browser.sweep import (
    ANONYMOUS_EXTRAS,
    CHECKED_ELSEWHERE,
    EXCLUDED_ENDPOINTS,
    EXCLUDED_RULES,
    VisitorSweep,
    exclusion,
    page_endpoints,
    sweep,
)

skip_without_chromium()
pytestmark = pytest.mark.browser

ANONYMOUS = "anonymous"
VISITORS = [ANONYMOUS, *DEMO_ACCOUNTS]


@pytest.fixture(scope="module")
def sweep_results(browser, live_site, pytestconfig) -> dict[str, VisitorSweep]:
    """Sweep the site once as each visitor, each in a fresh browser context."""
    results = {}
    for who in VISITORS:
        context = browser.new_context(base_url=live_site.base_url, viewport=DESKTOP)
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            if who != ANONYMOUS:
                sign_in(page, DEMO_ACCOUNTS[who])
            extras = ANONYMOUS_EXTRAS if who == ANONYMOUS else []
            results[who] = sweep(page, live_site.app, live_site.base_url, who, extras)
        except Exception as error:
            screenshot = save_screenshot(page, f"sweep-{who}")
            raise AssertionError(f"The sweep as {who} broke off at {page.url} (screenshot: {screenshot})") from error
        finally:
            context.close()
    summary = pytestconfig.stash.setdefault(SUMMARY, [])
    summary.extend(result.summary() for result in results.values())
    summary.append(f"axe sweep: {sum(len(r.pages) for r in results.values())} pages checked in all")
    # Pages with arguments are reached only through links (or argument values seen in links);
    # those that need data a form makes first (a quiz attempt, say) are listed, not failed.
    reached = {page.endpoint for result in results.values() for page in result.reached}
    unreached = sorted(
        rule
        for endpoint, rule in page_endpoints(live_site.app, with_arguments=True).items()
        if endpoint not in reached and endpoint not in CHECKED_ELSEWHERE
    )
    if unreached:
        summary.append(f"pages with arguments that no link led to, so not swept: {', '.join(unreached)}")
    left_out = sorted(
        rule.endpoint
        for rule in live_site.app.url_map.iter_rules()
        if "GET" in rule.methods and exclusion(rule) is not None
    )
    summary.append(f"GET routes left out as not pages (see tests/browser/sweep.py): {', '.join(left_out)}")
    return results


@pytest.mark.parametrize("who", VISITORS)
def test_every_page_passes_axe(sweep_results, live_site, who):
    result = sweep_results[who]
    print(result.summary())
    assert result.reached, f"{who} reached no page at all"
    assert not result.problems, "\n\n".join([*result.problems, f"(the server's log: {live_site.log_path})"])


def test_the_sweep_reaches_every_page_without_arguments(sweep_results, live_site):
    """Every GET page without arguments must be reached (200) by someone, so none escapes the sweep."""
    reached = {page.endpoint for result in sweep_results.values() for page in result.reached}
    expected = page_endpoints(live_site.app, with_arguments=False)
    missing = {endpoint: rule for endpoint, rule in expected.items() if endpoint not in reached}
    excluded = [*EXCLUDED_ENDPOINTS, *(pattern.pattern for pattern, _reason in EXCLUDED_RULES)]
    assert not missing, (
        f"No demo account reached these pages, so axe never checked them: {missing}. Give the demo "
        "data someone who can, or, if it is not a page, name it in EXCLUDED_ENDPOINTS or EXCLUDED_RULES "
        f"in tests/browser/sweep.py with the reason (excluded now: {excluded})."
    )


def test_every_role_has_a_demo_account():
    """A new role without a demo account would have no one to sweep its pages."""
    missing = {role.value for role in Role} - set(DEMO_ACCOUNTS)
    assert not missing, f"no demo account in tests/browser/helpers.py DEMO_ACCOUNTS for {missing}"


# ----------------------------------------------------------------------------------------------
# Error states


def _error_summary_shown(page) -> None:
    assert page.locator(".govuk-error-summary").is_visible(), f"no error summary on {page.url}"
    assert page.title().startswith("Error: "), f"the title of {page.url} does not say Error: {page.title()!r}"


def test_error_states_pass_axe(new_page, pytestconfig):
    problems = []

    def check(page, who, name):
        _error_summary_shown(page)
        problems.append(axe_problem(page, who, name))

    page = new_page()
    page.goto("/sign-in")
    submit(page)
    check(page, ANONYMOUS, "sign-in-empty")
    assert page.locator(".govuk-error-summary").get_by_text("Enter your email address").is_visible()

    page.fill("#email", HEADTEACHER)
    page.fill("#password", "not the password")
    submit(page)
    check(page, ANONYMOUS, "sign-in-wrong-password")

    page.goto("/forgot-password")
    submit(page)
    check(page, ANONYMOUS, "forgot-password-empty")

    head = new_page()
    sign_in(head, HEADTEACHER)
    head.goto("/school/people/invite")
    # The start date comes filled in with today: empty it too, so that every field is in error.
    for box in head.locator("input[name=started_on]").all():
        box.fill("")
    submit(head)
    check(head, "headteacher", "invite-empty")
    for message in ["Enter the person's full name", "Select the person's role", "Enter the date they started"]:
        assert head.locator(".govuk-error-summary").get_by_text(message).is_visible(), message

    head.fill("#name", "Sam Example")
    head.fill("#email", "not an email address")
    for box, value in zip(head.locator("input[name=started_on]").all(), ["31", "2", "2026"], strict=True):
        box.fill(value)
    submit(head)
    check(head, "headteacher", "invite-wrong-formats")
    assert head.locator(".govuk-error-summary").get_by_text("Enter a real date").is_visible()

    pytestconfig.stash.setdefault(SUMMARY, []).append("error states: 5 error pages checked with axe-core")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n\n".join(problems)


def _latest_link(live_site, email: str, path: str) -> str:
    """The link in the newest email to `email`, read from the live site's outbox."""
    with live_site.app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id.desc())
        ).first()
        db.session.remove()
    assert message is not None, f"no email to {email} in the outbox"
    match = re.search(rf"https?://\S+?({re.escape(path)}\S+)", message.body_text)
    assert match, f"no {path} link in the email to {email}:\n{message.body_text}"
    return match.group(1)


def test_emailed_link_pages_pass_axe(new_page, live_site, pytestconfig):
    """The pages behind the invitation and password reset links, which no page links to."""
    problems = []
    email = f"new-starter-{uuid.uuid4().hex[:8]}@oakfield.example.org"
    head = new_page()
    sign_in(head, HEADTEACHER)
    head.goto("/school/people/invite")
    head.fill("#name", "Nia Newstarter")
    head.fill("#email", email)
    head.check("input[name=role][value=teaching_assistant]")
    submit(head)
    assert head.url.endswith("/school/people/"), head.url

    page = new_page()
    page.goto(_latest_link(live_site, email, "/set-password/"))
    assert page.locator("h1").inner_text() == "Choose a password"
    problems.append(axe_problem(page, ANONYMOUS, "set-password"))
    submit(page)
    _error_summary_shown(page)
    problems.append(axe_problem(page, ANONYMOUS, "set-password-empty"))
    password = "violet harbour kettle drum"
    page.fill("#password", password)
    page.fill("#confirm", password)
    submit(page)
    assert page.url.endswith("/home"), page.url
    assert "Your password is saved" in page.locator(".govuk-notification-banner").inner_text()

    anonymous = new_page()
    anonymous.goto("/forgot-password")
    anonymous.fill("#email", email)
    submit(anonymous)
    problems.append(axe_problem(anonymous, ANONYMOUS, "reset-link-sent"))
    anonymous.goto(_latest_link(live_site, email, "/reset-password/"))
    problems.append(axe_problem(anonymous, ANONYMOUS, "reset-password"))
    submit(anonymous)
    _error_summary_shown(anonymous)
    problems.append(axe_problem(anonymous, ANONYMOUS, "reset-password-empty"))

    pytestconfig.stash.setdefault(SUMMARY, []).append("emailed links: 5 pages checked with axe-core")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n\n".join(problems)


# An unlabelled field and text too faint to read, on a page whose stylesheet does not exist.
BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>A broken page</title><link rel="stylesheet" href="/static/missing.css"></head>
<body><main>
  <h1>A broken page</h1>
  <input type="text" id="unlabelled">
  <p id="faint" style="color: #d8d8d8; background: #ffffff">Text too faint to read</p>
</main></body></html>"""


def test_the_axe_check_fails_on_a_broken_page(new_page):
    """The gate is not a no-op: a page with an unlabelled field and faint text is caught and reported."""
    page = new_page()
    page.set_content(BROKEN_PAGE)
    violations = run_axe(page)
    by_rule = {violation["id"]: violation for violation in violations}
    assert {"label", "color-contrast"} <= set(by_rule), sorted(by_rule)
    assert by_rule["label"]["nodes"][0]["target"] == ["#unlabelled"]
    assert by_rule["color-contrast"]["nodes"][0]["target"] == ["#faint"]

    report = describe_violations("about:blank", ANONYMOUS, violations)
    for expected in ["about:blank (as anonymous)", "label [critical]", "color-contrast [serious]", "#faint"]:
        assert expected in report, report


def test_the_sweep_fails_a_broken_page(browser, live_site):
    """The whole sweep, not only axe: with /privacy swapped for the broken page, it reports that page."""
    context = browser.new_context(base_url=live_site.base_url, viewport=DESKTOP)
    context.route("**/privacy", lambda route: route.fulfill(status=200, content_type="text/html", body=BROKEN_PAGE))
    try:
        result = sweep(context.new_page(), live_site.app, live_site.base_url, ANONYMOUS, screenshots=False)
    finally:
        context.close()
    problems = {page.endpoint: page.problem for page in result.pages if page.problem}
    assert set(problems) == {"main.privacy"}, problems
    for expected in ["label [critical]", "color-contrast [serious]", "could not load", "/static/missing.css"]:
        assert expected in problems["main.privacy"], problems["main.privacy"]
