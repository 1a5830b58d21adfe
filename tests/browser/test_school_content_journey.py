"""The demo's SENCO writes a module of Oakfield's own and a policy; a teaching assistant completes the
one and acknowledges the other; the headteacher's dashboard shows both. With JavaScript off: every
step, the page preview included, works without it."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import DEMO_ACCOUNTS, HEADTEACHER, sign_in, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

SENCO = DEMO_ACCOUNTS["senco"]
TA = DEMO_ACCOUNTS["teaching_assistant"]
TITLE = "Lunchtime support at Oakfield"
POLICY = "Oakfield accessibility plan"


@pytest.fixture(scope="module")
def live_site(serve_live_site):
    """A site of this module's own: the journey adds a module and a policy to the demo school."""
    with serve_live_site() as site:
        yield site


def click(page, name: str) -> None:
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=name, exact=True).click()


def write_page(page, title: str, body: str) -> None:
    page.get_by_role("link", name="Add a page").click()
    page.fill("#title", title)
    page.fill("#body", body)
    click(page, "Preview")
    assert page.locator("#preview-heading").inner_text() == f"Preview: {title}"
    assert page.locator("#body").input_value() == body  # kept for more editing
    click(page, "Save page")
    assert re.search(r"Page \d saved", page.content()), page.url


def write_question(page, kind: str, prompt: str, options: list[tuple[str, str]], *, right=(), true=None):
    page.get_by_role("link", name="Add a question").click()
    page.check(f"input[name=type][value={kind}]")
    page.fill("#prompt", prompt)
    for letter, (text, why) in zip("abcdef", options, strict=False):
        page.fill(f"#option_{letter}", text)
        if why:
            page.fill(f"#why_{letter}", why)
    for letter in right:
        page.check(f"input[name=correct][value={letter}]")
    if true is not None:
        page.check(f"input[name=true_false_answer][value={'true' if true else 'false'}]")
    page.fill("#feedback", "Our lunchtime plan says so.")
    click(page, "Save question")
    assert re.search(r"Question \d saved", page.content()), page.url


def test_a_local_module_and_a_policy_from_writing_to_the_dashboard(new_page):
    senco = new_page(javascript=False)
    sign_in(senco, SENCO)
    senco.get_by_role("link", name="Your school's modules").click()
    senco.get_by_role("link", name="Start a module").click()
    senco.fill("#title", TITLE)
    senco.fill("#summary", "How teaching assistants support pupils with SEND at lunchtime.")
    senco.check("input[name=audience][value=teaching_assistant]")
    senco.fill("#minutes", "15")
    senco.fill("#outcomes", "Follow the lunchtime plan\nKnow who to tell")
    click(senco, "Save")
    write_page(
        senco, "The lunchtime plan", "## The plan\n\n- Quiet table from 12:15\n- **Visual timetable** at the hatch"
    )
    write_page(senco, "Who to tell", "| Concern | Tell |\n| --- | --- |\n| A pupil is upset | The class teacher |")
    write_question(
        senco,
        "single_choice",
        "When does the quiet table open?",
        [("12:15", "Right: that is the plan."), ("13:00", "Not this: that is too late.")],
        right="a",
    )
    write_question(senco, "true_false", "The visual timetable is at the hatch.", [], true=True)
    write_question(
        senco, "ordering", "Put the steps in order.", [("Notice", ""), ("Record", ""), ("Tell the teacher", "")]
    )
    assert senco.locator("ol.govuk-list--number").nth(1).locator("li").count() == 3
    click(senco, "Publish")
    assert "Published" in senco.locator("main").inner_text()
    module_path = senco.get_by_role("link", name="See it as staff do").get_attribute("href")
    module_id = module_path.rsplit("/", 1)[1]

    # The SENCO publishes the accessibility plan for teaching assistants.
    senco.goto("/school-content/policies/new")
    senco.fill("#title", POLICY)
    senco.check("input[name=roles][value=teaching_assistant]")
    for box, value in zip(senco.locator("#read_by input").all(), ("30", "6", "2030"), strict=True):
        box.fill(value)
    senco.fill("#text", "## Our plan\n\nStep-free access to every classroom by 2028.")
    click(senco, "Publish")

    # The headteacher requires the module of every teaching assistant.
    head = new_page(javascript=False)
    sign_in(head, HEADTEACHER)
    head.goto("/leaders/requirements")
    head.select_option("#role", "teaching_assistant")
    head.select_option("#module", module_id)
    head.check("input[name=required][value=yes]")
    click(head, "Save requirement")

    # The teaching assistant completes it: every page, then the quiz.
    ta = new_page(javascript=False)
    sign_in(ta, TA)
    assert POLICY in ta.locator("main").inner_text()
    ta.goto("/training/")
    # Required of her, it is listed with what her school asks of her, as well as under "From your school".
    ta.get_by_role("list", name="What your school asks of you").get_by_role("link", name=TITLE).click()
    ta.get_by_role("button", name="Start the module").click()
    click(ta, "Continue")
    click(ta, "Finish the module")
    ta.goto(f"/quiz/{module_id}")
    click(ta, "Start the quiz")
    answers = {
        "When does the quiet table open?": lambda: ta.get_by_label("12:15", exact=True).check(),
        "The visual timetable is at the hatch.": lambda: ta.get_by_label("True", exact=True).check(),
    }
    for _ in range(2):
        heading = ta.locator("main").inner_text()
        prompt = next((text for text in answers if text in heading), None)
        if prompt is not None:
            answers[prompt]()
        else:
            for position, step in enumerate(["Notice", "Record", "Tell the teacher"], start=1):
                ta.get_by_label(step, exact=True).select_option(str(position))
        button = "Save and continue" if ta.get_by_role("button", name="Save and continue").count() else None
        click(ta, button or "Save and check your answers")
    click(ta, "Submit answers")
    assert "You passed the quiz" in ta.locator("main").inner_text()

    # And reads and acknowledges the policy from their home page.
    ta.goto("/home")
    ta.get_by_role("link", name=POLICY).click()
    assert "Step-free access to every classroom" in ta.locator("main").inner_text()
    ta.check("input[name=confirm][value=read]")
    click(ta, "Confirm")
    assert re.search(rf"{POLICY}\s+Read", ta.locator("main").inner_text())

    # The headteacher's dashboard counts both.
    head.goto("/leaders/staff-training")
    dashboard = head.locator("main").inner_text()
    assert TITLE in dashboard
    assert re.search(rf"{POLICY}, version 1: 1 of \d+ acknowledged", dashboard)
    head.goto("/leaders/staff-training?status=completed")
    assert TITLE in head.locator("main").inner_text()
