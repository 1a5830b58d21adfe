"""A quiz submitted twice at once from two tabs, and a CPD form sent twice by a double click, while other
people keep the server busy: gunicorn on PostgreSQL, each pair of requests released at the same moment.
Exactly one result each time.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import LedgerEntry
from app.records.ledger import verify_person
from tests.conftest import TEST_SETTINGS
from tests.faults.live import Browser, Tally, build_and_seed, database_of_its_own, gunicorn
from tests.support.quiz_helpers import attempt_questions, form_data

MODULE = "send-essentials"
LOAD_PEOPLE = 3
QUIZ_ROUNDS = 3
CPD_ROUNDS = 6


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("double-submits")
    evidence_dir = folder / "evidence"
    with database_of_its_own("double") as database_url:
        app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, "EVIDENCE_DIR": str(evidence_dir)})
        seeded = build_and_seed(app, LOAD_PEOPLE + QUIZ_ROUNDS + 1)
        with gunicorn(database_url, folder / "gunicorn.log", EVIDENCE_DIR=str(evidence_dir)) as base_url:
            yield base_url, app, seeded
        with app.app_context():
            db.engine.dispose()


def at_once(*sends) -> list:
    """Send each request from its own thread, all released together; their responses, in order."""
    barrier = threading.Barrier(len(sends))
    responses: list = [None] * len(sends)

    def run(index, send):
        barrier.wait()
        responses[index] = send()

    threads = [threading.Thread(target=run, args=(index, send)) for index, send in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def background_load(base_url: str, emails: list[str], stop: threading.Event, tally: Tally) -> list[threading.Thread]:
    """Other people adding CPD and reading their record for as long as the test runs."""

    def person(email: str) -> None:
        browser = Browser(base_url)
        assert browser.sign_in(email).status_code == 302
        number = 0
        while not stop.is_set():
            number += 1
            page = browser.get("/cpd/external/new")
            response = browser.post("/cpd/external/new", Browser.external_cpd_form(page, f"Load {number}"))
            tally.count(f"load {response.status_code}")
            tally.count(f"load {browser.get('/cpd/').status_code}")

    threads = [threading.Thread(target=person, args=(email,), daemon=True) for email in emails]
    for thread in threads:
        thread.start()
    return threads


def entries(app, user_id: int, kind: str) -> list[LedgerEntry]:
    with app.app_context():
        found = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == kind)
        ).all()
        db.session.remove()
        return found


def test_two_tabs_and_double_clicks_under_load_record_once(served):
    base_url, app, seeded = served
    load_emails = seeded.teacher_emails[:LOAD_PEOPLE]
    quiz_emails = seeded.teacher_emails[LOAD_PEOPLE : LOAD_PEOPLE + QUIZ_ROUNDS]
    cpd_email = seeded.teacher_emails[-1]
    stop = threading.Event()
    load = Tally()
    threads = background_load(base_url, load_emails, stop, load)
    quiz_results: list[list[int]] = []
    cpd_results: list[list[int]] = []
    try:
        time.sleep(1)  # the load is under way
        # Two tabs of one browser: the same cookies, each submitting the quiz's last step.
        for email in quiz_emails:
            browser = Browser(base_url)
            assert browser.sign_in(email).status_code == 302
            for page in app.extensions["catalogue"].modules[MODULE].pages:
                url = f"/training/modules/{MODULE}/pages/{page.slug}"
                assert browser.post(url, {"csrf_token": Browser.token(browser.get(url))}).status_code == 302
            overview = browser.get(f"/quiz/{MODULE}")
            started = browser.post(f"/quiz/{MODULE}/start", {"csrf_token": Browser.token(overview)})
            assert started.status_code == 302, started.text[:300]
            attempt_id = int(started.headers["Location"].split("/attempts/")[1].split("/")[0])
            with app.app_context():
                questions = attempt_questions(app, attempt_id)
                db.session.remove()
            for number, question in enumerate(questions, start=1):
                url = f"/quiz/{MODULE}/attempts/{attempt_id}/questions/{number}"
                data = [*form_data(question, correct=True).items(multi=True)]
                answered = browser.post(url, [*data, ("csrf_token", Browser.token(browser.get(url)))])
                assert answered.status_code == 302, answered.text[:300]
            check = f"/quiz/{MODULE}/attempts/{attempt_id}/check"
            first_tab, second_tab = browser.get(check), browser.get(check)
            responses = at_once(
                lambda check=check, tab=first_tab, browser=browser: browser.post(
                    check, {"csrf_token": Browser.token(tab)}
                ),
                lambda check=check, tab=second_tab, browser=browser: browser.post(
                    check, {"csrf_token": Browser.token(tab)}
                ),
            )
            quiz_results.append([response.status_code for response in responses])
        # A double click on "Add": the same form, with the same once-only key, sent twice at once.
        browser = Browser(base_url)
        assert browser.sign_in(cpd_email).status_code == 302
        for number in range(CPD_ROUNDS):
            form = Browser.external_cpd_form(browser.get("/cpd/external/new"), f"Double-clicked course {number}")
            responses = at_once(
                lambda form=form: browser.post("/cpd/external/new", form),
                lambda form=form: browser.post("/cpd/external/new", form),
            )
            cpd_results.append([response.status_code for response in responses])
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    recorded_quizzes = [len(entries(app, seeded.teacher_ids[email], "quiz_attempted")) for email in quiz_emails]
    completed = [len(entries(app, seeded.teacher_ids[email], "module_completed")) for email in quiz_emails]
    cpd_titles = [
        entry.payload["title"] for entry in entries(app, seeded.teacher_ids[cpd_email], "external_cpd_recorded")
    ]
    with app.app_context():
        broken = [email for email in seeded.teacher_emails if verify_person(seeded.teacher_ids[email]) is not None]
        db.session.remove()
    load.report("background load while the double submits ran", 0)
    print(
        f"[fault test] quiz submitted from two tabs at once, {QUIZ_ROUNDS} times: answers {quiz_results}, "
        f"results recorded per attempt {recorded_quizzes}, modules completed {completed}"
    )
    print(
        f"[fault test] CPD form double-clicked, {CPD_ROUNDS} times: answers {cpd_results}, "
        f"entries recorded {len(cpd_titles)} for {CPD_ROUNDS} forms"
    )
    assert all(codes == [302, 302] for codes in quiz_results), quiz_results
    assert recorded_quizzes == [1] * QUIZ_ROUNDS and completed == [1] * QUIZ_ROUNDS
    assert all(codes == [302, 302] for codes in cpd_results), cpd_results
    assert sorted(cpd_titles) == sorted(f"Double-clicked course {number}" for number in range(CPD_ROUNDS))
    assert broken == []
    assert set(load.outcomes) == {"load 302", "load 200"}, load.outcomes
