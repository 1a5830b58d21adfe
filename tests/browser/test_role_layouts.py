"""What each page looks like where it is used: the staff training dashboard at a desk and on a phone,
and the phone's header and menu, with JavaScript and without."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import DEMO_ACCOUNTS, HEADTEACHER, axe_problem, sign_in, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TEACHING_ASSISTANT = DEMO_ACCOUNTS["teaching_assistant"]
# The header and menu on a phone: at most this much of the screen's height, with the menu folded.
PHONE_HEADER_MAX = 150


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_dashboard_at_a_desk_keeps_names_in_view(new_page):
    page = new_page(viewport=DESKTOP)
    sign_in(page, HEADTEACHER)
    page.goto("/leaders/staff-training")
    table = page.locator(".app-training-matrix")
    assert table.is_visible() and not page.locator(".app-training-list").is_visible()
    # Short headings: most of the columns fit beside the names on a 1280 px screen.
    headings = page.locator(".app-training-matrix__module")
    fully_shown = sum(
        1
        for box in (headings.nth(n).bounding_box() for n in range(headings.count()))
        if box["x"] + box["width"] <= 1280
    )
    assert fully_shown >= min(9, headings.count()), f"{fully_shown} of {headings.count()} columns in view"
    # Scrolled sideways, the names stay where they were.
    name = page.locator("tbody .app-training-matrix__name").first
    before = name.bounding_box()["x"]
    table.evaluate("region => { region.scrollLeft = region.scrollWidth; }")
    assert table.evaluate("region => region.scrollLeft") > 0 or headings.count() <= fully_shown
    assert abs(name.bounding_box()["x"] - before) < 1
    # The page itself never scrolls sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_dashboard_on_a_phone_is_a_list_person_by_person(new_page, javascript):
    page = new_page(viewport=PHONE, javascript=javascript)
    sign_in(page, HEADTEACHER)
    page.goto("/leaders/staff-training?status=needs_action")
    assert not page.locator(".app-training-matrix").is_visible()
    listing = page.locator(".app-training-list")
    assert listing.is_visible()
    first = listing.locator(".app-training-list__person").first
    assert first.locator("h3 a").is_visible()
    # Each module by its full title, with a labelled date.
    text = first.inner_text()
    assert any(word in text for word in ("Was due", "Expired", "Asked again", "expired")), text
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    if javascript:  # axe needs JavaScript; the sweep sees the desk's table, this the phone's list
        problem = axe_problem(page, HEADTEACHER, "staff-training-phone")
        assert problem is None, problem


def test_every_count_leads_to_the_people_it_counts(new_page):
    page = new_page(viewport=DESKTOP)
    sign_in(page, HEADTEACHER)
    page.goto("/leaders/staff-training")
    link = page.locator(".app-training-counts a").first
    count = int(link.inner_text().split()[0])
    link.click()
    page.wait_for_load_state("load")
    assert "status=needs_action" in page.url
    assert page.locator("tbody .app-training-matrix__name").count() == count


def test_the_phone_menu_folds_behind_a_button_with_javascript(new_page):
    page = new_page(viewport=PHONE)
    sign_in(page, TEACHING_ASSISTANT)
    toggle = page.locator(".govuk-service-navigation__toggle")
    assert toggle.is_visible()
    menu = page.locator("#navigation")
    assert not menu.is_visible()
    bottom = _box(page, ".govuk-service-navigation")
    assert bottom["y"] + bottom["height"] <= PHONE_HEADER_MAX, f"the header and menu end at {bottom}"
    toggle.click()
    assert menu.is_visible()
    assert menu.get_by_role("link", name="Your account").is_visible()
    assert menu.get_by_role("button", name="Sign out").is_visible()


def test_the_phone_menu_is_a_plain_list_without_javascript(new_page):
    page = new_page(viewport=PHONE, javascript=False)
    sign_in(page, TEACHING_ASSISTANT)
    assert not page.locator(".govuk-service-navigation__toggle").is_visible()
    menu = page.locator("#navigation")
    assert menu.is_visible()
    for name in ("Home", "Your training", "Your account"):
        assert menu.get_by_role("link", name=name).is_visible()
    # The header's own account links are in the menu instead, not twice.
    assert not page.locator(".app-header .app-header__account-link").first.is_visible()


def test_at_a_desk_the_menu_is_open_and_the_account_links_are_in_the_header(new_page):
    page = new_page(viewport=DESKTOP)
    sign_in(page, TEACHING_ASSISTANT)
    assert not page.locator(".govuk-service-navigation__toggle").is_visible()
    assert page.locator("#navigation").is_visible()
    assert page.locator(".app-header").get_by_role("link", name="Your account").is_visible()
    assert not page.locator("#navigation").get_by_role("link", name="Your account").is_visible()


def test_the_cpd_record_on_a_phone_leads_with_totals_then_entries(new_page):
    page = new_page(viewport=PHONE)
    sign_in(page, TEACHING_ASSISTANT)
    page.goto("/cpd/")
    totals = _box(page, ".app-cpd-totals")
    first_entry = _box(page, ".govuk-summary-card[id^=entry-]")
    months = page.locator("details.app-cpd-months")
    assert totals["y"] < first_entry["y"] < months.bounding_box()["y"]
    # The months are folded away until asked for.
    assert not page.locator(".app-cpd-months .govuk-details__text").is_visible()
    months.locator("summary").click()
    assert page.locator(".app-cpd-months .govuk-details__text").is_visible()
    # The first entry is within the first two screens, not after a year of empty months.
    assert first_entry["y"] < 2 * PHONE["height"], first_entry
    problem = axe_problem(page, TEACHING_ASSISTANT, "cpd-record-phone")
    assert problem is None, problem


def _answer(page, questions: dict, plan: list[bool]) -> None:
    """Answer the question shown: rightly or wrongly as `plan` says for the next choice question (by the
    keyed answer in the catalogue), so the review has both; any other question takes its first option."""
    main = page.locator("main")
    question = questions.get(main.locator("h1").first.inner_text().strip())
    radios = main.locator("input[type=radio]")
    if plan and question is not None and question.type in {"single_choice", "true_false"}:
        keyed = question.answer if question.type == "single_choice" else ("true" if question.answer else "false")
        values = [radio.get_attribute("value") for radio in radios.all()]
        pick = keyed if plan.pop(0) else next(value for value in values if value != keyed)
        main.locator(f"input[type=radio][value='{pick}']").check()
    elif radios.count():
        radios.first.check()
    elif main.locator("input[type=checkbox]").count():
        main.locator("input[type=checkbox]").first.check()
    else:
        for number, select in enumerate(main.locator("select").all(), start=1):
            options = select.locator("option").all()
            select.select_option(index=min(number, len(options) - 1))
    with page.expect_navigation(wait_until="load"):
        main.locator("button", has_text=re.compile("^Save and")).first.click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_quiz_review_on_a_phone_shows_wrong_answers_first(new_page, live_site, javascript):
    questions = {q.prompt: q for q in live_site.app.extensions["catalogue"].quizzes["send-essentials"].questions}
    plan = [True, False]  # one right answer, then one wrong; the rest as they fall
    page = new_page(viewport=PHONE, javascript=javascript)
    sign_in(page, DEMO_ACCOUNTS["senco" if javascript else "headteacher"])
    page.goto("/quiz/send-essentials")
    with page.expect_navigation(wait_until="load"):
        page.locator("main button", has_text=re.compile("^(Start the quiz|Continue your attempt)$")).click()
    for _ in range(25):
        if "/check" in page.url:
            break
        _answer(page, questions, plan)
    with page.expect_navigation(wait_until="load"):
        page.locator("main button", has_text="Submit answers").click()
    wrong = page.locator(".app-review-item")
    right = page.locator("details.app-review-right")
    assert not plan, "the draw had fewer than two choice questions"
    assert wrong.count() >= 1 and right.count() >= 1
    # No right answer sits among those shown in full: each is folded behind its question.
    assert page.locator(".app-review-item .govuk-tag--green").count() == 0
    assert not any(tag.is_visible() for tag in page.locator("main .govuk-tag--green").all())
    assert wrong.last.bounding_box()["y"] < right.first.bounding_box()["y"]
    # The right answers are folded: only their questions show until opened.
    for number in range(right.count()):
        assert not right.nth(number).locator(".govuk-summary-list").first.is_visible()
    right.first.locator("summary").click()
    assert right.first.locator(".govuk-summary-list").first.is_visible()
    if javascript:
        problem = axe_problem(page, "senco", "quiz-review-phone")
        assert problem is None, problem
