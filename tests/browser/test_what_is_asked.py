"""Each learner sees what their school asks of them, by when and why, and their next step; everyone
required to train can. In Chromium with JavaScript on and off, on the demo data: the teacher (Ben) has
"Working with parents and carers" assigned, due within the fortnight; the first teaching assistant
(Amara) is months late with her induction and part-way through "Supporting learning in group work"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import DEMO_ACCOUNTS, sign_in, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

TEACHER = DEMO_ACCOUNTS["teacher"]
TA = DEMO_ACCOUNTS["teaching_assistant"]
ADMIN = DEMO_ACCOUNTS["school_admin"]
JAVASCRIPT = [pytest.param(True, id="javascript-on"), pytest.param(False, id="javascript-off")]


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _main_text(page: Page) -> str:
    return " ".join(page.inner_text("main").split())


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_1_an_assigned_module_is_shown_as_asked_of_the_teacher_with_its_date_and_why(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, TEACHER)
    page.goto("/training/")
    asked = page.locator('[data-requirement="parents-and-carers"]')
    assert asked.count() == 1
    text = " ".join(asked.inner_text().split())
    assert "Working with parents and carers" in text
    assert "Due soon" in text
    assert f"Due by {_long(date.today() + timedelta(days=7))}" in text
    assert "Assigned to you by Dev Oakley" in text and "Before the parents' evening, please." in text
    # It is not offered as optional: no "Optional modules" list names it.
    for optional in page.locator("h3:text-is('Optional modules') + ul").all():
        assert "Working with parents and carers" not in optional.inner_text()
    # His pathway modules are late, as his headteacher's dashboard says: overdue, not "Not started".
    pathway_item = page.locator('[data-requirement="class-teacher"]')
    assert "Overdue" in pathway_item.inner_text()
    assert "Your role's pathway: Teacher: SEND in your classroom" in " ".join(pathway_item.inner_text().split())


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_1_the_overdue_teaching_assistant_sees_it_on_home_training_and_the_module(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, TA)
    home = _main_text(page)
    assert re.search(r"Overdue Was due by \d{1,2} \w+ \d{4}", home), home[:600]
    assert "5 overdue" in home
    page.goto("/training/")
    assert "5 overdue" in _main_text(page)
    page.goto("/training/modules/ta-group-work")
    module = _main_text(page)
    assert "Your school asks you to complete it" in module
    assert re.search(r"Overdue Was due by \d{1,2} \w+ \d{4}", module)
    assert "Teaching assistant induction" in module


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_3_home_leads_with_continuing_where_she_left_off(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, TA)
    # The first call to action in the page's main part is the next step, above everything else.
    first_button = page.locator("main .govuk-button").first
    assert " ".join(first_button.inner_text().split()) == "Continue: Supporting learning in group work, page 3 of 5"
    with page.expect_navigation(wait_until="load"):
        first_button.click()
    assert urlsplit(page.url).path.startswith("/training/modules/ta-group-work/pages/")
    assert "Supporting learning in group work: page 3 of 5" in _main_text(page)


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_3_home_offers_the_most_urgent_module_to_start_with_its_due_date(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, TEACHER)
    first_button = " ".join(page.locator("main .govuk-button").first.inner_text().split())
    assert first_button.startswith("Start: ")
    summary = " ".join(page.locator("[data-next-step-summary]").inner_text().split())
    assert "Overdue" in summary and "Not started" in summary


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_2_the_school_administrator_can_do_the_training_required_of_her(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, ADMIN)
    assert page.locator("nav a:text-is('Your training')").count() == 1
    page.goto("/training/")
    text = _main_text(page)
    assert "SEND essentials for everyone" in text and "Your role's pathway" in text
    response = page.goto("/cpd/")
    assert response is not None and response.status == 200
    # A page her role does not include says to ask the headteacher, not herself.
    response = page.goto("/self-assessment/")
    assert response is not None and response.status == 403
    text = _main_text(page)
    assert "ask your headteacher" in text and "school administrator" not in text


GOVERNOR = DEMO_ACCOUNTS["governor"]
SEND_GOVERNOR = DEMO_ACCOUNTS["send_governor"]
HEAD = DEMO_ACCOUNTS["headteacher"]
OFFICER = DEMO_ACCOUNTS["la_officer"]


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_5_a_statutory_check_count_opens_the_people_it_counts(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, HEAD)
    page.goto("/leaders/staff-training")
    essentials = page.locator('[data-check="staff-essentials"]')
    overdue = essentials.locator('details[data-counted="overdue"]')
    assert " ".join(overdue.locator("summary").inner_text().split()) == "3 overdue"
    overdue.locator("summary").click()
    names = [" ".join(link.inner_text().split()) for link in overdue.locator("a").all()]
    assert len(names) == 3 and "Amara Oakley" not in names
    with page.expect_navigation(wait_until="load"):
        overdue.locator("a").first.click()
    assert urlsplit(page.url).path.startswith("/leaders/staff-training/")
    assert names[0] in _main_text(page)


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_5_the_board_report_counts_lead_to_people_for_the_head(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, HEAD)
    page.goto("/leaders/board-report")
    link = page.locator("[data-role-summary] a[href='#needing-action-teaching_assistant']")
    assert link.count() == 1
    link.click()
    listed = page.locator("#needing-action-teaching_assistant + ul").inner_text()
    assert "Amara Oakley" in listed


def test_found_6_and_7_the_board_report_flags_late_actions_and_names_no_staff_for_governors(new_page):
    page = new_page()
    sign_in(page, GOVERNOR)
    page.goto("/leaders/board-report")
    text = _main_text(page)
    # The demo's action due in April is not done: flagged, in words.
    late = page.locator("tr", has_text="Put a termly SEND report").first
    assert "Overdue" in " ".join(late.inner_text().split())
    # Staff are counted, not named; one or two people read "fewer than 3".
    for staff_name in ("Amara Oakley", "Ben Oakley", "Nia Newstart", "Grace Oakley"):
        assert staff_name not in text
    senco_row = " ".join(page.locator("[data-role-summary] tr", has_text="SENCO").inner_text().split())
    assert "fewer than 3" in senco_row and "not shown" in senco_row
    assert page.locator("[data-role-summary] a").count() == 0
    # The SENCO post is named on purpose, and the report says so rather than claiming no one is named.
    assert "One post is named" in text


def test_found_6_a_round_page_flags_an_action_past_its_date(new_page):
    page = new_page()
    sign_in(page, SEND_GOVERNOR)
    page.goto("/self-assessment/")
    page.locator("table a", has_text="Governance").last.click()
    page.wait_for_load_state("load")
    late = page.locator("tr", has_text="Put a termly SEND report").first
    assert late.locator("[data-overdue]").inner_text().strip() == "Overdue"


def test_found_7_the_officer_sees_fewer_than_3_not_one_of_one(new_page):
    page = new_page()
    sign_in(page, OFFICER)
    page.goto("/organisation/schools")
    text = _main_text(page)
    assert "1 of 1" not in text and "100% 1 of" not in text
    assert "not shown: fewer than 3 people" in text


@pytest.mark.parametrize("javascript", JAVASCRIPT)
def test_found_9_the_send_governor_is_asked_to_answer_the_open_round_first(new_page, javascript):
    page = new_page(javascript=javascript)
    sign_in(page, SEND_GOVERNOR)
    page.goto("/self-assessment/")
    first_button = page.locator("main .govuk-button").first
    assert " ".join(first_button.inner_text().split()).startswith("Answer the questions")
    assert "govuk-button--secondary" in page.locator("main a.govuk-button", has_text="Open a round").get_attribute(
        "class"
    )
    page.goto("/self-assessment/rounds/new")
    hint = page.locator("#closes_on-hint").inner_text()
    shown = re.search(r"For example, (\d{1,2}) (\d{1,2}) (\d{4})", hint)
    assert shown, hint
    day, month, year = (int(part) for part in shown.groups())
    assert date(year, month, day) > date.today()


def test_found_9_the_trend_chart_has_a_key_with_each_question_and_shape(new_page):
    page = new_page()
    sign_in(page, SEND_GOVERNOR)
    page.goto("/self-assessment/trend")
    key = page.locator("[data-trend-key] li")
    assert key.count() == 4
    assert "Q1: How does the SEND governor in your school hold leaders to account" in " ".join(
        key.first.inner_text().split()
    )
    # Each line has its own marker shape as well as colour and dashes.
    chart = page.locator("svg.app-trend-chart").first
    assert chart.locator("rect").count() > 0 and chart.locator("polygon").count() > 0
