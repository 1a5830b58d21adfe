"""Writing a school module through the real pages, as a leader does."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import School
from app.school_content import SchoolModule, catalogue_for_school
from tests.conftest import csrf_token_from


def post_form(client, url: str, data: dict | MultiDict, **query):
    page = client.get(url, query_string=query)
    data = MultiDict(data)
    data["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=data, query_string=query)


def start_module(client, *, title="Our SEND procedures", audience=("teaching_assistant",), minutes=20) -> int:
    data = MultiDict(
        {
            "title": title,
            "summary": "How we work at our school: who to tell, and when.",
            "minutes": str(minutes),
            "outcomes": "Say who our SENCO is\nFollow our record-keeping steps",
        }
    )
    for role in audience:
        data.add("audience", role)
    response = post_form(client, "/school-content/modules/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return int(re.search(r"/modules/(\d+)$", response.headers["Location"]).group(1))


def add_page(client, module_id: int, title: str, body: str, number: int | None = None):
    query = {"page": number} if number else {}
    return post_form(
        client,
        f"/school-content/modules/{module_id}/page",
        {"title": title, "body": body, "save": "Save page"},
        **query,
    )


QUESTIONS = [
    {
        "type": "single_choice",
        "prompt": "Who do you tell first about a new concern?",
        "page": "page-1",
        "option_a": "The SENCO",
        "why_a": "Right: our policy names the SENCO.",
        "option_b": "Nobody",
        "why_b": "Not this: concerns are always shared.",
        "correct": "a",
        "feedback": "Our procedure starts with the SENCO.",
    },
    {
        "type": "true_false",
        "prompt": "Notes go in the shared log the same day.",
        "page": "page-2",
        "true_false_answer": "true",
        "feedback": "The same day, so nothing is lost.",
    },
    {
        "type": "ordering",
        "prompt": "Put our steps in order.",
        "page": "page-2",
        "option_a": "Notice",
        "option_b": "Record",
        "option_c": "Tell the SENCO",
        "feedback": "Notice, record, tell.",
    },
]


def add_question(client, module_id: int, fields: dict, number: int | None = None):
    query = {"question": number} if number else {}
    return post_form(client, f"/school-content/modules/{module_id}/question", fields, **query)


def publish(client, module_id: int):
    return post_form(client, f"/school-content/modules/{module_id}/publish", {})


def write_and_publish(client, **details) -> str:
    """A module with two pages and three questions, published; its id in the catalogue."""
    module_id = start_module(client, **details)
    assert add_page(client, module_id, "Who to tell", "## Who\n\nTell the **SENCO**.").status_code == 302
    assert add_page(client, module_id, "Keeping notes", "- Write it down\n- The same day").status_code == 302
    for question in QUESTIONS:
        response = add_question(client, module_id, question)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert publish(client, module_id).status_code == 302
    return f"school-{module_id}"


def school_catalogue(app, school_id: int):
    db.session.expire_all()
    return catalogue_for_school(app.extensions["catalogue"], db.session.get(School, school_id))


def school_module_row(module_id: str) -> SchoolModule:
    db.session.expire_all()
    return db.session.get(SchoolModule, int(module_id.removeprefix("school-")))
