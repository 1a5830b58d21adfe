"""The usual cross-site scripting payloads, typed into every field of a school module, never run.

Titles, summaries, outcomes, questions and feedback are text (Jinja escapes them); page bodies are
Markdown, rendered and then cleaned by nh3 against an allow-list. Each page staff and leaders see is
checked for any element or attribute a payload could have smuggled in.
"""

from __future__ import annotations

import html5lib
from werkzeug.datastructures import MultiDict

from app.models import Role
from app.school_content.markdown import render_school_markdown
from tests.conftest import sign_in
from tests.school_content.helpers import post_form, school_catalogue

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '"><script>alert(document.cookie)</script>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![tracker](https://evil.example.com/pixel.png)",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    "<details open ontoggle=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<!--<script>alert(1)</script>-->",
    "`<script>alert(1)</script>`",
    '<object data="https://evil.example.com/x.swf"></object>',
]
ALL = "\n\n".join(PAYLOADS)


# Elements no page of a school module needs, whoever wrote it.
FORBIDDEN_TAGS = {
    "img",
    "iframe",
    "svg",
    "object",
    "embed",
    "style",
    "details",
    "math",
    "base",
    "meta",
    "frame",
    "link",
}


# The pages' own uses of those elements: GOV.UK's start button icon and details component. The sanitiser
# keeps no svg or details element at all, so whatever of these a page holds is the layout's.
LAYOUTS_OWN = {("svg", "govuk-button__start-icon"), ("details", "govuk-details")}


def _the_layouts_own(tag: str, attributes: dict) -> bool:
    return (tag, attributes.get("class", "")) in LAYOUTS_OWN


def unsafe_parts(html: str) -> list[str]:
    """Anything in the page, parsed as a browser would, that a payload could have added: a script other
    than the layout's own, a forbidden element, an event attribute, or a link to script or data."""
    found = []
    document = html5lib.parse(html, namespaceHTMLElements=False)
    for script in document.iter("script"):
        if script.attrib != {"type": "module", "src": "/static/app.mjs"}:
            found.append(f"<script {script.attrib}>{script.text}")
    # What a school writes is shown in the page's main part; the layout's head is its own.
    main = document.find(".//main")
    for element in (main if main is not None else document).iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        tag = element.tag.split("}")[-1].lower()
        if tag == "script":
            found.append(f"<script {element.attrib}>{element.text}")
        if tag in FORBIDDEN_TAGS and not _the_layouts_own(tag, element.attrib):
            found.append(f"<{tag} {element.attrib}>")
        for name, value in element.attrib.items():
            name = name.split("}")[-1].lower()
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction", "data", "xlink:href"}:
                scheme = value.strip().lower().split(":", 1)[0] if ":" in value else ""
                if scheme in {"javascript", "vbscript", "data"}:
                    found.append(f"<{tag} {name}={value!r}>")
    return found


def test_the_sanitiser_keeps_what_pages_need_and_drops_the_rest():
    html = str(
        render_school_markdown(
            "## Heading\n\n- one\n- two\n\n1. first\n\n**strong** *em* [link](https://example.org)\n\n"
            "| a | b |\n| - | - |\n| 1 | 2 |\n\n> quoted\n\n" + ALL
        )
    )
    for tag in (
        "<h2",
        "<ul",
        "<ol",
        "<li",
        "<strong>",
        "<em>",
        '<a href="https://example.org"',
        "<table",
        "<th",
        "<td",
    ):
        assert tag in html
    assert 'rel="noopener noreferrer"' in html
    assert unsafe_parts(html) == []
    assert "evil.example.com" not in html.replace("&", "") or "<img" not in html


def test_payloads_in_every_field_of_a_school_module_never_reach_a_page(app, make_school, make_person):
    school = make_school()
    senco_person = make_person(school, Role.SENCO)
    ta_person = make_person(school, Role.TEACHING_ASSISTANT)
    senco, ta = app.test_client(), app.test_client()
    sign_in(senco, senco_person)
    sign_in(ta, ta_person)

    details = MultiDict(
        {"title": PAYLOADS[1][:150], "summary": ALL[:600], "minutes": "15", "outcomes": "\n".join(PAYLOADS)}
    )
    details.add("audience", "teaching_assistant")
    response = post_form(senco, "/school-content/modules/new", details)
    assert response.status_code == 302
    number = int(response.headers["Location"].rsplit("/", 1)[1])
    base = f"/school-content/modules/{number}"
    for title in (PAYLOADS[0], PAYLOADS[2]):
        saved = post_form(senco, f"{base}/page", {"title": title, "body": ALL, "save": "Save page"})
        assert saved.status_code == 302
    preview = post_form(senco, f"{base}/page", {"title": PAYLOADS[3], "body": ALL, "preview": "Preview"})
    assert preview.status_code == 200 and unsafe_parts(preview.get_data(as_text=True)) == []
    questions = [
        {
            "type": "single_choice",
            "prompt": PAYLOADS[0],
            "page": "page-1",
            "option_a": PAYLOADS[1][:500],
            "why_a": PAYLOADS[2],
            "option_b": PAYLOADS[4][:500],
            "why_b": PAYLOADS[9],
            "correct": "a",
            "feedback": PAYLOADS[3],
        },
        {
            "type": "multiple_choice",
            "prompt": PAYLOADS[11],
            "page": "page-2",
            "option_a": PAYLOADS[12],
            "why_a": PAYLOADS[5],
            "option_b": PAYLOADS[13],
            "why_b": PAYLOADS[10],
            "option_c": PAYLOADS[15],
            "why_c": PAYLOADS[14],
            "correct": "a",
            "feedback": PAYLOADS[6],
        },
        {
            "type": "ordering",
            "prompt": PAYLOADS[7],
            "page": "page-1",
            "option_a": PAYLOADS[8],
            "option_b": PAYLOADS[0],
            "option_c": PAYLOADS[1],
            "feedback": PAYLOADS[2],
        },
    ]
    for question in questions:
        response = post_form(senco, f"{base}/question", question)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert post_form(senco, f"{base}/publish", {}).status_code == 302

    module_id = f"school-{number}"
    module = school_catalogue(app, school.id).modules[module_id]
    leader_pages = [
        "/school-content/modules",
        base,
        f"{base}/details",
        f"{base}/page?page=1",
        f"{base}/question?question=1",
    ]
    leader_pages += [f"{base}/question?question={n}" for n in (2, 3)]
    staff_pages = ["/training/", "/training/modules", f"/training/modules/{module_id}", f"/quiz/{module_id}"]
    staff_pages += [f"/training/modules/{module_id}/pages/{page.slug}" for page in module.pages]
    checked = 0
    for client, url in [(senco, url) for url in leader_pages] + [(ta, url) for url in staff_pages]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert unsafe_parts(response.get_data(as_text=True)) == [], url
        checked += 1
    # The payloads are there, as text.
    page = ta.get(f"/training/modules/{module_id}/pages/page-1").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert checked == len(leader_pages) + len(staff_pages)

    # The quiz shows the questions: start it and look at each.
    from tests.support.quiz_helpers import start

    attempt_id = start(ta, module_id)
    for number_shown in (1, 2):
        html = ta.get(f"/quiz/{module_id}/attempts/{attempt_id}/questions/{number_shown}").get_data(as_text=True)
        assert unsafe_parts(html) == []
