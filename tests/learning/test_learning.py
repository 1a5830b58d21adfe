"""Reading modules: the pathway, the reader, resuming, and completion recorded exactly once."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.learning import module_progress
from app.models import LedgerEntry, ModuleProgress, Role
from app.records.ledger import verify_person
from tests.conftest import csrf_token_from, sign_in
from tests.support.quiz_helpers import take_quiz

MODULE = "ta-group-work"


@pytest.fixture
def ta(app, make_school, make_person):
    school = make_school()
    person = make_person(school, Role.TEACHING_ASSISTANT)
    client = app.test_client()
    sign_in(client, person)
    return client, person, school


def module(app, module_id=MODULE):
    return app.extensions["catalogue"].modules[module_id]


def read_page(client, module_id, slug):
    url = f"/training/modules/{module_id}/pages/{slug}"
    return client.post(url, data={"csrf_token": csrf_token_from(client.get(url))})


def completions(user_id, module_id=MODULE):
    db.session.expire_all()
    return db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.user_id == user_id, LedgerEntry.kind == "module_completed", LedgerEntry.subject_id == module_id
        )
    ).all()


def test_a_teaching_assistant_sees_their_induction_pathway(app, ta):
    client, _, _ = ta
    pathway = app.extensions["catalogue"].pathways["teaching_assistant"]
    assert {"graduated-approach", "what-is-changing"} <= set(pathway.required)
    body = client.get("/training/").get_data(as_text=True)
    assert "Teaching assistant induction" in body
    assert f"You have completed 0 of {len(pathway.required)} required modules" in body
    assert "Supporting learning in group work" in body
    assert body.count("Not started") == len(pathway.required) + len(pathway.optional)


def test_reading_a_module_end_to_end_completes_it_once(app, ta):
    client, person, school = ta
    the_module = module(app)
    overview = client.get(f"/training/modules/{MODULE}").get_data(as_text=True)
    assert "What you will learn" in overview and the_module.outcomes[0] in overview
    assert "Start the module" in overview

    for number, page in enumerate(the_module.pages, start=1):
        body = client.get(f"/training/modules/{MODULE}/pages/{page.slug}").get_data(as_text=True)
        assert f"page {number} of {len(the_module.pages)}" in body
        assert "Where this comes from" in body and "Roles in mainstream schools" in body
        response = read_page(client, MODULE, page.slug)
        if number < len(the_module.pages):
            assert response.headers["Location"].endswith(the_module.pages[number].slug)
        else:
            assert response.headers["Location"] == f"/training/modules/{MODULE}/finish"
        assert completions(person.id) == []

    # Every page read: the quiz is what is left.
    finish = client.get(f"/training/modules/{MODULE}/finish").get_data(as_text=True)
    assert "You have read every page" in finish and "Go to the quiz" in finish
    take_quiz(app, client, MODULE)

    finish = client.get(f"/training/modules/{MODULE}/finish").get_data(as_text=True)
    assert f"You have completed {the_module.title}" in finish
    assert f"{the_module.minutes} minutes have been added to your CPD record" in finish

    [entry] = completions(person.id)
    assert entry.subject_version == the_module.version
    assert entry.payload["minutes"] == the_module.minutes
    assert entry.school_id == school.id
    assert verify_person(person.id) is None

    # Reading the last page again, or the whole module again, records nothing more.
    for page in the_module.pages:
        read_page(client, MODULE, page.slug)
    assert len(completions(person.id)) == 1
    assert "Completed" in client.get("/training/").get_data(as_text=True)
    required = len(app.extensions["catalogue"].pathways["teaching_assistant"].required)
    assert f"You have completed 1 of {required}" in client.get("/training/").get_data(as_text=True)


def test_a_double_submitted_last_page_records_one_completion(app, ta, on_postgresql):
    client, person, _ = ta
    the_module = module(app)
    take_quiz(app, client, MODULE)
    for page in the_module.pages[:-1]:
        read_page(client, MODULE, page.slug)
    last_url = f"/training/modules/{MODULE}/pages/{the_module.pages[-1].slug}"
    token = csrf_token_from(client.get(last_url))
    if on_postgresql:
        # Two requests at the same moment, as from a double click or two tabs.
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(client.post(last_url, data={"csrf_token": token})))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert [r.status_code for r in results] == [302] * 4
    else:
        for _ in range(3):
            assert client.post(last_url, data={"csrf_token": token}).status_code == 302
    assert len(completions(person.id)) == 1


def test_resume_where_you_left_off(app, ta):
    client, _, _ = ta
    the_module = module(app)
    read_page(client, MODULE, the_module.pages[0].slug)
    read_page(client, MODULE, the_module.pages[1].slug)
    overview = client.get(f"/training/modules/{MODULE}").get_data(as_text=True)
    assert "Continue where you left off" in overview
    assert f'href="/training/modules/{MODULE}/pages/{the_module.pages[2].slug}" role="button"' in overview
    training = client.get("/training/").get_data(as_text=True)
    # Started in 2024, the induction is late: overdue as the headteacher sees it, and two pages read.
    assert "Overdue" in training
    assert f"2 of {len(the_module.pages)} pages read" in training
    assert f"Continue: {the_module.title}, page 3 of {len(the_module.pages)}" in training


def test_finishing_with_unread_pages_lists_them(app, ta):
    client, person, _ = ta
    the_module = module(app)
    read_page(client, MODULE, the_module.pages[-1].slug)
    body = client.get(f"/training/modules/{MODULE}/finish").get_data(as_text=True)
    assert "You have not read these pages yet" in body
    assert the_module.pages[0].title in body
    assert completions(person.id) == []


def test_a_changed_module_shows_as_updated_and_can_be_completed_again(app, ta, monkeypatch):
    client, person, _ = ta
    the_module = module(app)
    take_quiz(app, client, MODULE)
    for page in the_module.pages:
        read_page(client, MODULE, page.slug)
    changed = dataclasses.replace(the_module, version="changed-version")
    monkeypatch.setitem(app.extensions["catalogue"].modules, MODULE, changed)
    training = client.get("/training/").get_data(as_text=True)
    assert "Updated since you completed it" in training
    overview = client.get(f"/training/modules/{MODULE}").get_data(as_text=True)
    assert "This module has changed since you completed it" in overview

    read_page(client, MODULE, changed.pages[0].slug)
    assert "In progress" in client.get("/training/").get_data(as_text=True)
    for page in changed.pages[1:]:
        read_page(client, MODULE, page.slug)
    versions = sorted(entry.subject_version for entry in completions(person.id))
    assert versions == sorted([the_module.version, "changed-version"])


def test_someone_who_completed_before_a_change_sees_what_changed_until_they_complete_it_again(app, ta, monkeypatch):
    from app.content.model import ChangeNote

    client, _, _ = ta
    the_module = module(app)
    take_quiz(app, client, MODULE)
    for page in the_module.pages:
        read_page(client, MODULE, page.slug)
    today = date.today()
    recorded_after = ChangeNote(
        "a-change",
        date(2026, 2, 23),
        today,
        "A change in the law that matters here",
        "What changed, in plain words.",
        (MODULE,),
        ("schools-white-paper-2026#proposals",),
    )
    recorded_before = dataclasses.replace(
        recorded_after, id="an-old-change", recorded_on=date(2020, 1, 1), title="An old change already taught"
    )
    elsewhere = dataclasses.replace(
        recorded_after, id="elsewhere", title="A change to another module", module_ids=("senco",)
    )
    catalogue = app.extensions["catalogue"]
    monkeypatch.setattr(catalogue, "changes", (recorded_after, elsewhere, recorded_before))
    changed = dataclasses.replace(the_module, version="changed-version")
    monkeypatch.setitem(catalogue.modules, MODULE, changed)

    for url in ("/training/", f"/training/modules/{MODULE}"):
        body = client.get(url).get_data(as_text=True)
        assert "Updated since you completed it" in body or "changed since you completed it" in body
        assert "A change in the law that matters here" in body and "What changed, in plain words." in body
        assert "23 February 2026" in body
        assert "An old change already taught" not in body and "A change to another module" not in body
    overview = client.get(f"/training/modules/{MODULE}").get_data(as_text=True)
    assert "Every child achieving and thriving" in overview  # the source, in words

    for page in changed.pages:
        read_page(client, MODULE, page.slug)
    for url in ("/training/", f"/training/modules/{MODULE}"):
        assert "A change in the law that matters here" not in client.get(url).get_data(as_text=True)


def test_unknown_modules_and_pages_are_not_found(ta):
    client, _, _ = ta
    assert client.get("/training/modules/no-such-module").status_code == 404
    assert client.get(f"/training/modules/{MODULE}/pages/no-such-page").status_code == 404
    token = csrf_token_from(client.get("/training/"))
    assert client.post(f"/training/modules/{MODULE}/pages/no-such-page", data={"csrf_token": token}).status_code == 404


def test_a_page_post_without_a_token_changes_nothing(app, ta):
    client, person, _ = ta
    slug = module(app).pages[0].slug
    assert client.post(f"/training/modules/{MODULE}/pages/{slug}").status_code == 400
    assert db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == person.id)).all() == []


def test_the_catalogue_filters_by_role(app, ta):
    client, _, _ = ta
    total = len(app.extensions["catalogue"].modules)
    everyone = client.get("/training/modules").get_data(as_text=True)
    assert f"{total} modules" in everyone
    governors = client.get("/training/modules?role=governor").get_data(as_text=True)
    count = int(re.search(r"(\d+) modules?<", governors).group(1))
    expected = len(app.extensions["catalogue"].modules_for_role("governor"))
    assert count == expected < total
    assert "The SEND governor" in governors or "send-governor" in governors
    # An unknown role shows everything rather than nothing.
    assert f"{total} modules" in client.get("/training/modules?role=astronaut").get_data(as_text=True)


def test_the_glossary(ta):
    client, _, _ = ta
    body = client.get("/training/glossary").get_data(as_text=True)
    assert "Glossary of SEND terms" in body and "SENCO" in body


def test_school_admins_take_the_training_their_pathway_requires(app, make_school, make_person):
    admin = make_person(make_school(), Role.SCHOOL_ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    training = client.get("/training/")
    assert training.status_code == 200
    assert "SEND essentials" in training.get_data(as_text=True)
    assert client.get("/cpd/").status_code == 200
    # Self-assessment on the key questions is for teaching staff, leaders and the board.
    assert client.get("/self-assessment/").status_code == 403


def test_status_rules():
    from app.content.model import Module, Page

    page = Page("a", "A", "", ("roles#x",), 1)
    the_module = Module(
        "m", "M", "M", "", ("teacher",), 10, ("o",), (), (page,), "v2", date(2026, 1, 1), date(2026, 6, 1)
    )
    assert module_progress.status_of(the_module, None) is module_progress.ModuleStatus.NOT_STARTED
    progress = ModuleProgress(reading_version="v2", pages_read=["a"], completed_version="v2")
    assert module_progress.status_of(the_module, progress) is module_progress.ModuleStatus.COMPLETED
    progress = ModuleProgress(reading_version="v1", pages_read=["a"], completed_version="v1")
    assert module_progress.status_of(the_module, progress) is module_progress.ModuleStatus.UPDATED_SINCE_COMPLETED
    progress = ModuleProgress(reading_version="v2", pages_read=["a"], completed_version="v1")
    assert module_progress.status_of(the_module, progress) is module_progress.ModuleStatus.IN_PROGRESS
