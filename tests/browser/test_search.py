"""Searching the training in Chromium, with JavaScript on and off: the form, the results, axe."""

from __future__ import annotations

import pytest

from tests.browser.helpers import DEMO_ACCOUNTS, axe_problem, sign_in, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

TEACHING_ASSISTANT = DEMO_ACCOUNTS["teaching_assistant"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_search_from_the_menu_finds_pages_and_cites_them(new_page, javascript):
    page = new_page(javascript=javascript, viewport={"width": 1280, "height": 800})
    sign_in(page, TEACHING_ASSISTANT)
    with page.expect_navigation(wait_until="load"):
        page.locator("#navigation").get_by_role("link", name="Search").click()
    page.fill("#q", "reasonable adjustments")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Search").click()
    results = page.locator(".app-search-result")
    assert results.count() > 1
    assert "Rests on:" in page.locator(".app-search-results").inner_text()
    assert page.locator(".app-search-result mark").count() > 0
    if javascript:  # axe needs JavaScript
        problem = axe_problem(page, TEACHING_ASSISTANT, "search-results")
        assert problem is None, problem
    # A page result opens the module page it names.
    first_page = page.locator(".app-search-result a[href*='/pages/']").first
    title = first_page.inner_text()
    with page.expect_navigation(wait_until="load"):
        first_page.click()
    assert title in page.locator("main").inner_text()
