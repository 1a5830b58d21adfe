"""Importing a question bank into a school's module through the pages: a preview, then all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

from app.content import question_banks
from app.models import Role
from tests.conftest import csrf_token_from, sign_in
from tests.school_content.helpers import add_page, publish, school_catalogue, school_module_row, start_module

BANKS = Path(__file__).parent / "banks"


def upload(client, number, name):
    url = f"/school-content/modules/{number}/import"
    data = {
        "csrf_token": csrf_token_from(client.get(url)),
        "file": (io.BytesIO((BANKS / name).read_bytes()), name),
        "preview": "Preview the questions",
    }
    return client.post(url, data=data, content_type="multipart/form-data")


def confirm(client, number, preview_html):
    import re

    url = f"/school-content/modules/{number}/import"
    text = re.search(r'name="bank_text" value="([^"]*)"', preview_html, re.S).group(1)
    bank_format = re.search(r'name="bank_format" value="([^"]*)"', preview_html).group(1)
    import html

    return client.post(
        url,
        data={
            "csrf_token": csrf_token_from(client.get(url)),
            "bank_text": html.unescape(text),
            "bank_format": bank_format,
            "confirm": "Add these questions",
        },
    )


def test_a_preview_then_everything_is_added_and_exported_again(app, make_school, make_person):
    school = make_school()
    senco = app.test_client()
    sign_in(senco, make_person(school, Role.SENCO))
    number = start_module(senco)
    add_page(senco, number, "Only page", "Text.")

    preview = upload(senco, number, "every_type.xml")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "5 questions to add" in html
    assert "Reflect (essay)" in html and "How many days (numerical)" in html and "Gaps (cloze)" in html
    assert school_module_row(f"school-{number}").draft["questions"] == []  # nothing saved yet

    added = confirm(senco, number, html)
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    draft = school_module_row(f"school-{number}").draft
    assert [q["type"] for q in draft["questions"]] == [
        "single_choice", "multiple_choice", "true_false", "matching", "ordering"
    ]  # fmt: skip
    assert publish(senco, number).status_code == 302

    module_id = f"school-{number}"
    exported = senco.get(f"/school-content/questions/{module_id}/moodle.xml")
    assert exported.status_code == 200 and exported.mimetype == "application/xml"
    again = question_banks.read_moodle_xml(exported.data)
    assert [q["prompt"] for q in again.questions] == [q["prompt"] for q in draft["questions"]]
    gift = senco.get(f"/school-content/questions/{module_id}/gift.txt")
    assert gift.status_code == 200 and "::school-" in gift.get_data(as_text=True)
    assert len(school_catalogue(app, school.id).quizzes[module_id].questions) == 5

    # Another school cannot download it.
    other = app.test_client()
    sign_in(other, make_person(make_school(), Role.HEADTEACHER))
    assert other.get(f"/school-content/questions/{module_id}/moodle.xml").status_code == 404


def test_a_file_with_a_problem_adds_nothing(app, make_school, make_person):
    school = make_school()
    senco = app.test_client()
    sign_in(senco, make_person(school, Role.SENCO))
    number = start_module(senco)
    response = upload(senco, number, "wrong_fraction.xml")
    html = response.get_data(as_text=True)
    assert "Nothing can be added until these are put right" in html
    assert "add up to 80%, not 100%" in html
    assert "Add these questions" not in html
    refused = upload(senco, number, "entity_expansion.xml")
    assert "There is a problem" in refused.get_data(as_text=True)
    assert "XML features that are not allowed" in refused.get_data(as_text=True)
    assert school_module_row(f"school-{number}").draft["questions"] == []
