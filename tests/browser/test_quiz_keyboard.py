"""A quiz taken with the keyboard alone, with JavaScript on and off: start, answer every question
(radios, checkboxes and the selects of ordering and matching questions), check, submit, see the result."""

from __future__ import annotations

import re

import pytest

from app.models import Role
from tests.browser.helpers import DEMO_ACCOUNTS, DEMO_PASSWORD, KeyboardUser, axe_problem, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser


def _button(text: str):
    return lambda element: element["tag"] == "button" and element["text"] == text


def _answer_with_keys(keys: KeyboardUser) -> None:
    page = keys.page
    main = page.locator("main")
    if main.locator("input[type=radio]").count():
        keys.tab_to(lambda element: element["type"] == "radio", "the first answer")
        keys.press("Space")
    elif main.locator("input[type=checkbox]").count():
        keys.tab_to(lambda element: element["type"] == "checkbox", "the first answer")
        keys.press("Space")
    else:
        # Ordering gives each step a different position; matching takes the first match for each item.
        selects = main.locator("select").count()
        ordering = main.locator("select option[value='2']").count() > 0 and "position" in page.content()
        for number in range(1, selects + 1):
            keys.tab_to(lambda element: element["tag"] == "select", f"select {number}")
            for _ in range(number if ordering else 1):
                keys.press("ArrowDown")
    keys.tab_to(lambda element: element["tag"] == "button" and element["text"].startswith("Save and"), "Save")
    keys.follow("Enter", "**/*")


@pytest.mark.parametrize(
    "javascript", [pytest.param(True, id="javascript-on"), pytest.param(False, id="javascript-off")]
)
def test_a_quiz_with_the_keyboard_alone(new_page, javascript):
    page = new_page(javascript=javascript)
    keys = KeyboardUser(page)
    page.goto("/sign-in")
    email = DEMO_ACCOUNTS[Role.TEACHER.value] if javascript else DEMO_ACCOUNTS[Role.TEACHING_ASSISTANT.value]
    keys.tab_to(lambda element: element["id"] == "email", "the email address field")
    keys.type(email)
    keys.press("Tab")
    keys.type(DEMO_PASSWORD)
    keys.tab_to(_button("Sign in"), "Sign in")
    keys.follow("Enter", "**/home")

    page.goto("/quiz/send-essentials")
    keys.tab_to(
        lambda element: element["tag"] == "button" and element["text"] in {"Start the quiz", "Continue your attempt"},
        "Start",
    )
    keys.follow("Enter", "**/questions/*")
    # The sweep cannot reach an attempt's pages (a form creates them), so axe runs on them here.
    problems = []

    def check_accessibility(name: str) -> None:
        if javascript:  # axe needs JavaScript to run
            problems.append(axe_problem(page, email, name))

    for number in range(1, 21):
        if "/check" in page.url:
            break
        check_accessibility(f"quiz-question-{number}")
        assert "question" in page.locator(".govuk-caption-m").inner_text()
        _answer_with_keys(keys)
        assert page.locator(".govuk-error-summary").count() == 0, page.locator(".govuk-error-summary").inner_text()
    assert "/check" in page.url, page.url
    check_accessibility("quiz-check-answers")
    keys.tab_to(_button("Submit answers"), "Submit answers")
    keys.follow("Enter", "**/attempts/*")
    heading = page.locator("h1").inner_text()
    assert heading in {"You passed the quiz", "You did not pass this time"}
    assert page.locator("h2", has_text=re.compile(r"^Answers (to look at again|you got right) \(\d+\)$")).count() >= 1
    check_accessibility("quiz-result")
    keys.assert_focus_always_visible()
    found = [problem for problem in problems if problem]
    assert not found, "\n".join(found)
