"""The page checks that the test client runs on every HTML page: each one fails on a broken page."""

from __future__ import annotations

import re

import pytest
from flask import Flask, redirect

from app.models import Role
from tests.conftest import IsolatedContextClient, csrf_token_from, sign_in
from tests.support import page_checks
from tests.support.page_checks import (
    assert_good_page,
    form_problems,
    heading_problems,
    id_problems,
    label_problems,
    page_problems,
    parse_page,
    parse_problems,
    title_problems,
)

GOOD_BODY = """
<h1 class="govuk-heading-l">Invite someone</h1>
<form method="post" action="/invite" novalidate>
  <input id="csrf_token" name="csrf_token" type="hidden" value="abc123">
  <label class="govuk-label" for="name">Full name</label>
  <input class="govuk-input" id="name" name="name" type="text">
  <label>Notes <textarea name="notes"></textarea></label>
  <span id="role-label">Role</span>
  <select name="role" aria-labelledby="role-label"><option>Teacher</option></select>
  <input type="search" name="q" aria-label="Search">
  <input type="submit" value="Send">
  <button type="submit">Send</button>
</form>
<form method="get" action="/search"><input type="image" src="/x.png" alt="Search"></form>
"""


def page(body: str = GOOD_BODY, title: str = "Invite someone - SEND Ready") -> str:
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
{body}
</body>
</html>"""


def error_summary() -> str:
    return (
        '<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert">'
        '<h2 class="govuk-error-summary__title">There is a problem</h2></div></div>'
    )


def test_a_good_page_passes_every_check():
    assert page_problems(page()) == []
    assert_good_page(page(), "GET /invite")


# ---- valid HTML ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("<div><p>Unclosed paragraph</div></span>", "Unexpected end tag (span)"),
        ('<p class="a" class="b">Twice</p>', "Dropped duplicate attribute on tag"),
        ("<div/>", "Trailing solidus not allowed on element div"),
        ("<table><p>Text in a table</p></table>", "Unexpected start tag (p) in table context"),
    ],
)
def test_invalid_html_is_reported_with_line_column_and_message(broken, message):
    html = page(GOOD_BODY + broken)
    problems = parse_problems(parse_page(html))
    assert problems, "the broken markup was not reported"
    assert any(message in problem for problem in problems), problems
    line_of_break = html.splitlines().index(next(line for line in html.splitlines() if broken in line)) + 1
    assert any(re.match(rf"invalid HTML at line {line_of_break}, column \d+: ", p) for p in problems), problems


def test_a_page_without_a_doctype_is_invalid():
    problems = parse_problems(parse_page(page().replace("<!DOCTYPE html>", "")))
    assert any("DOCTYPE" in problem for problem in problems), problems


# ---- one h1 ------------------------------------------------------------------------------------


def test_a_page_without_an_h1_fails():
    assert heading_problems(parse_page(page(GOOD_BODY.replace("h1", "h2")))) == ["0 <h1> elements, expected exactly 1"]


def test_a_page_with_two_h1s_fails():
    problems = heading_problems(parse_page(page(GOOD_BODY + "<h1>Another</h1>")))
    assert problems == ["2 <h1> elements, expected exactly 1 ('Invite someone'; 'Another')"]


# ---- the title ---------------------------------------------------------------------------------


def test_a_title_that_does_not_begin_with_the_h1_fails():
    problems = title_problems(parse_page(page(title="SEND Ready - Invite someone")))
    assert problems == ["the <title> 'SEND Ready - Invite someone' does not begin with the <h1> text 'Invite someone'"]


def test_the_title_and_h1_are_compared_with_whitespace_normalised():
    body = GOOD_BODY.replace("Invite someone</h1>", "\n   Invite\n   someone\n</h1>")
    assert title_problems(parse_page(page(body, title="\n  Invite   someone - SEND Ready\n"))) == []


def test_a_page_with_no_title_fails():
    html = page().replace("<title>Invite someone - SEND Ready</title>", "")
    assert title_problems(parse_page(html)) == ["0 <title> elements, expected exactly 1"]


def test_an_error_page_needs_error_in_its_title():
    body = error_summary() + GOOD_BODY
    assert title_problems(parse_page(page(body, title="Error: Invite someone - SEND Ready"))) == []
    problems = title_problems(parse_page(page(body)))
    assert problems == [
        "the page shows an error summary but its <title> does not begin \"Error: \" ('Invite someone - SEND Ready')"
    ]


def test_a_page_without_an_error_summary_must_not_say_error_in_its_title():
    problems = title_problems(parse_page(page(title="Error: Invite someone - SEND Ready")))
    assert problems == [
        "the <title> begins \"Error: \" but the page shows no error summary ('Error: Invite someone - SEND Ready')"
    ]


def test_an_error_title_must_still_begin_with_the_h1_after_error():
    body = error_summary() + GOOD_BODY
    problems = title_problems(parse_page(page(body, title="Error: Something else - SEND Ready")))
    assert problems == [
        "the <title> 'Error: Something else - SEND Ready' does not begin with the <h1> text 'Invite someone'"
    ]


# ---- unique ids --------------------------------------------------------------------------------


def test_an_id_used_twice_fails():
    body = GOOD_BODY + '<p id="name">A second element with id name</p><span id="x"></span><b id="x"></b>'
    assert id_problems(parse_page(page(body))) == ['id "name" is used 2 times', 'id "x" is used 2 times']


# ---- forms -------------------------------------------------------------------------------------


def test_a_form_without_an_action_fails():
    body = GOOD_BODY.replace('action="/search"', "")
    assert form_problems(parse_page(page(body))) == ["<form> has no action"]
    body = GOOD_BODY.replace('action="/search"', 'action=" "')
    assert form_problems(parse_page(page(body))) == ['<form action=" "> has no action']


def test_a_post_form_without_a_csrf_token_fails():
    body = GOOD_BODY.replace('<input id="csrf_token" name="csrf_token" type="hidden" value="abc123">', "")
    assert form_problems(parse_page(page(body))) == [
        '<form action="/invite"> is a POST form without a hidden csrf_token input'
    ]
    # An empty token, or one that is not hidden, is no token either.
    for token in (
        '<input name="csrf_token" type="hidden" value="">',
        '<input name="csrf_token" type="text" value="abc" aria-label="Token">',
    ):
        body = GOOD_BODY.replace('<input id="csrf_token" name="csrf_token" type="hidden" value="abc123">', token)
        assert form_problems(parse_page(page(body))) == [
            '<form action="/invite"> is a POST form without a hidden csrf_token input'
        ]


def test_a_get_form_needs_no_csrf_token():
    body = GOOD_BODY.replace('method="post"', 'method="get"').replace('value="abc123"', 'value=""')
    assert form_problems(parse_page(page(body))) == []


# ---- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "control",
    [
        '<input id="age" name="age" type="number">',
        '<input name="nickname">',
        '<input id="email2" type="email" aria-label="">',
        '<select id="phase" name="phase"><option>Primary</option></select>',
        '<textarea id="why" name="why"></textarea>',
        '<input id="pick" type="radio" name="pick" aria-labelledby="no-such-id">',
    ],
)
def test_a_control_without_a_label_fails(control):
    problems = label_problems(parse_page(page(GOOD_BODY + control)))
    assert len(problems) == 1 and problems[0].endswith("has no label"), problems


def test_a_label_for_another_id_does_not_count():
    body = GOOD_BODY + '<label for="elsewhere">Age</label><input id="age" name="age" type="number">'
    assert label_problems(parse_page(page(body))) == ['<input id="age" name="age" type="number"> has no label']


def test_hidden_and_button_inputs_need_no_label():
    body = GOOD_BODY + '<input type="hidden" name="h"><input type="button" value="B"><input type="SUBMIT">'
    assert label_problems(parse_page(page(body))) == []


# ---- the test client runs the checks -----------------------------------------------------------


@pytest.fixture
def tiny_app():
    """An app of its own, serving a broken page, so that the hook can be seen to fire."""
    tiny = Flask(__name__)
    tiny.test_client_class = IsolatedContextClient

    @tiny.route("/broken")
    def broken():
        return "<!DOCTYPE html><html><head><title>Broken</title></head><body><p>No heading</p></body></html>"

    @tiny.route("/moved")
    def moved():
        return redirect("/broken")

    @tiny.route("/data")
    def data():
        return {"h1": "none"}

    return tiny


def test_the_client_fails_a_test_that_fetches_a_broken_page(tiny_app):
    client = tiny_app.test_client()
    with pytest.raises(AssertionError, match=r"The page at GET /broken\?page=2 fails the page checks") as failure:
        client.get("/broken?page=2")
    assert "0 <h1> elements" in str(failure.value)
    with pytest.raises(AssertionError, match="GET /broken"):
        client.get("/moved", follow_redirects=True)


def test_the_client_checks_neither_redirects_nor_other_content(tiny_app):
    client = tiny_app.test_client()
    assert client.get("/moved").status_code == 302
    assert client.get("/data").status_code == 200


def test_a_test_can_skip_the_checks_for_one_deliberately_broken_page(tiny_app):
    client = tiny_app.test_client()
    with client.skip_page_checks():
        assert client.get("/broken").status_code == 200
    # Only for that block: the next page is checked again.
    with pytest.raises(AssertionError):
        client.get("/broken")


# ---- real pages --------------------------------------------------------------------------------


def test_real_pages_pass(app, make_school, make_person):
    client = app.test_client()
    for path in ("/", "/sign-in", "/forgot-password", "/accessibility", "/privacy", "/no-such-page"):
        response = client.get(path)
        assert page_problems(response.get_data(as_text=True)) == [], path
    # A form sent back with errors: "Error: " in the title, an error summary, still one h1.
    failed = client.post("/sign-in", data={"csrf_token": csrf_token_from(client.get("/sign-in"))})
    assert failed.status_code == 200
    html = failed.get_data(as_text=True)
    assert page_problems(html) == []
    assert "<title>Error: Sign in" in html and "govuk-error-summary" in html

    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    sign_in(client, head)
    for path in ("/home", "/school/people/", f"/school/people/{head.id}", "/school/people/invite"):
        response = client.get(path)
        assert response.status_code == 200, path
        problems = [
            p for p in page_problems(response.get_data(as_text=True)) if not page_checks.is_known_template_problem(p)
        ]
        assert problems == [], path


def test_each_known_template_problem_still_happens(app, make_school, make_person):
    """When a template is fixed, this fails: remove its entry from KNOWN_TEMPLATE_PROBLEMS."""
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    client = app.test_client()
    sign_in(client, head)
    with client.skip_page_checks():
        html = client.get("/school/people/invite").get_data(as_text=True)
    problems = page_problems(html)
    for pattern, where in page_checks.KNOWN_TEMPLATE_PROBLEMS.items():
        assert any(re.search(pattern, problem) for problem in problems), (
            f"fixed? {where}: remove it from KNOWN_TEMPLATE_PROBLEMS in tests/page_checks.py"
        )
