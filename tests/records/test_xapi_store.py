"""xAPI that survives change, against a stand-in learning record store that answers 409 as real
ones do: a new address changes no statement, a statement the store already holds counts as sent, a
conflicting one is reported and skipped, erasure voids what was sent, and one push runs at a time."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from app.extensions import db
from app.models import LedgerEntry, Membership, Role, XapiPushCursor
from app.people import erasure
from app.records import xapi
from tests.conftest import sign_in
from tests.records.test_xapi import BASE, complete_module, external, realistic_ledger
from tests.support.lrs_stand_in import VOIDED, LrsStandIn
from tests.support.xapi_rules import validate_statement

NEW_BASE = "https://training.new-trust.example.org"


@pytest.fixture(autouse=True)
def settings(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setitem(app.config, "LRS_USERNAME", "send-ready")
    monkeypatch.setitem(app.config, "LRS_PASSWORD", "lrs-secret")


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")


@pytest.fixture
def store(app, monkeypatch):
    stand_in = LrsStandIn()
    monkeypatch.setitem(app.config, "LRS_URL", stand_in.url)
    yield stand_in
    stand_in.close()


@pytest.fixture
def strict_store(app, monkeypatch):
    stand_in = LrsStandIn(conflict_on_any_held_id=True)
    monkeypatch.setitem(app.config, "LRS_URL", stand_in.url)
    yield stand_in
    stand_in.close()


def push(app, *options):
    return app.test_cli_runner().invoke(args=["xapi", "push", "--settle-seconds", "0", *options])


def all_statements() -> list[dict]:
    return xapi.statements_for(list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))))


def cursor_for(store: LrsStandIn) -> XapiPushCursor:
    cursor = db.session.scalars(select(XapiPushCursor).where(XapiPushCursor.lrs_url == store.url + "/statements")).one()
    db.session.refresh(cursor)
    return cursor


# ---- a new address --------------------------------------------------------------------------------


def test_a_new_address_changes_no_statement_and_the_store_takes_the_push(app, school, make_person, store, monkeypatch):
    senco, _head, _entries = realistic_ledger(school, make_person)
    first = push(app, "--batch", "4")
    assert first.exit_code == 0, first.output
    held_before = dict(store.kept)

    # The deployment moves to a new address, and reaches the same store by another name: a new cursor,
    # so the whole record is sent again, with the same ids.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", NEW_BASE)
    monkeypatch.setitem(app.config, "LRS_URL", f"http://localhost:{store.port}/xapi")
    again = push(app, "--batch", "4")
    assert again.exit_code == 0, again.output
    assert "skipped" not in again.output.lower()
    assert store.kept == held_before  # nothing new, nothing refused

    # What is recorded later names the same people and activities as before the move.
    complete_module(senco, school, module_id="graduated-approach", title="The graduated approach")
    db.session.commit()
    assert push(app).exit_code == 0
    newest = store.posted()[-1]
    assert newest["object"]["id"] == f"{BASE}/xapi/activities/module/graduated-approach"
    assert newest["actor"]["account"]["homePage"] == BASE
    assert all(NEW_BASE not in json.dumps(statement) for statement in store.posted())


def test_the_api_names_people_and_activities_under_the_recorded_address(app, school, make_person, store, monkeypatch):
    senco, _head, _entries = realistic_ledger(school, make_person)
    assert push(app).exit_code == 0
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", NEW_BASE)
    client = app.test_client()
    sign_in(client, senco)
    response = client.get("/api/v1/me/xapi")
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    statements = response.get_json()["statements"]
    assert statements and all(s["actor"]["account"]["homePage"] == BASE for s in statements)
    held = {key for key in store.kept}
    assert {s["id"].lower() for s in statements} <= held


def test_the_api_says_which_xapi_version_it_speaks(app, school, make_person):
    person = make_person(school, Role.TEACHER)
    client = app.test_client()
    sign_in(client, person)
    response = client.get("/api/v1/me/xapi")
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


# ---- 409 ------------------------------------------------------------------------------------------


def test_a_store_that_refuses_every_id_it_holds_counts_those_statements_as_sent(app, school, make_person, strict_store):
    realistic_ledger(school, make_person)
    expected = len(all_statements())
    assert push(app, "--batch", "4").exit_code == 0
    assert len(strict_store.kept) == expected

    # The cursor is lost (a restore from backup, say): the whole record goes again.
    db.session.execute(XapiPushCursor.__table__.delete())
    db.session.commit()
    again = push(app, "--batch", "4")
    assert again.exit_code == 0, again.output
    assert f"already held {expected} of them" in again.output
    assert "WARNING" not in again.output
    assert len(strict_store.kept) == expected
    cursor = cursor_for(strict_store)
    assert cursor.last_entry_id == db.session.scalar(select(LedgerEntry.id).order_by(LedgerEntry.id.desc()))
    # Nothing is left to send: the next run asks nothing of the store.
    requests = len(strict_store.requests)
    assert push(app).exit_code == 0
    assert len(strict_store.requests) == requests


def test_a_conflicting_statement_is_reported_and_skipped_and_the_rest_are_sent(app, school, make_person, store):
    realistic_ledger(school, make_person)
    statements = all_statements()
    clashing = dict(statements[1], verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-GB": "x"}})
    store.hold(clashing)

    result = push(app, "--batch", "3")
    assert result.exit_code == 0, result.output
    assert f"Skipped statement {statements[1]['id']}" in result.output
    assert "1 statements were skipped" in result.output
    # Every other statement is in the store, and the clashing one is still the store's own.
    assert set(store.kept) == {s["id"] for s in statements}
    assert store.sent[statements[1]["id"]]["verb"]["id"].endswith("experienced")
    # Not retried: the cursor is past it and the next run sends nothing.
    requests = len(store.requests)
    again = push(app, "--batch", "3")
    assert again.exit_code == 0
    assert "0 statements in 0 batches" in again.output
    assert len(store.requests) == requests


def test_a_statement_compares_equal_to_what_a_store_keeps_of_it():
    sent = {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "actor": {"objectType": "Agent", "account": {"homePage": BASE, "name": "7"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-GB": "completed"}},
        "object": {"objectType": "Activity", "id": f"{BASE}/xapi/activities/module/x"},
        "timestamp": "2025-03-01T15:30:00.000Z",
        "version": "1.0.3",
    }
    kept = json.loads(json.dumps(sent))
    kept.update(
        id=sent["id"].upper(),
        timestamp="2025-03-01T15:30:00+00:00",
        stored="2026-12-05T06:00:00+00:00",
        authority={"objectType": "Agent", "account": {"homePage": "http://lrs", "name": "x"}},
        version="1.0.0",
    )
    del kept["object"]["objectType"]
    assert xapi.same_statement(sent, kept)
    assert not xapi.same_statement(sent, dict(kept, timestamp="2025-03-01T15:31:00Z"))
    assert not xapi.same_statement(sent, dict(kept, actor={"account": {"homePage": NEW_BASE, "name": "7"}}))


# ---- erasure --------------------------------------------------------------------------------------


def leave_and_erase(person):
    db.session.execute(
        Membership.__table__.update()
        .where(Membership.user_id == person.id)
        .values(ended_on=date.today() - timedelta(days=1))
    )
    db.session.commit()
    erasure.erase_person(person, actor=None, school=None)
    db.session.commit()


def test_erasure_voids_everything_the_store_was_sent_about_the_person(app, school, make_person, store):
    senco, head, _entries = realistic_ledger(school, make_person)
    complete_module(head, school)
    db.session.commit()
    assert push(app).exit_code == 0
    senco_statements = [s for s in store.posted() if s["actor"]["account"]["name"] == str(senco.id)]
    standing = {s["id"] for s in senco_statements if s["verb"]["id"] != VOIDED}
    assert standing

    leave_and_erase(senco)
    result = push(app)
    assert result.exit_code == 0, result.output
    assert f"{len(standing)} of them void" in result.output
    voids = [s for s in store.posted()[len(senco_statements) + 1 :] if s["verb"]["id"] == VOIDED]
    assert {s["object"]["id"] for s in voids} == standing
    for statement in voids:
        assert validate_statement(statement) == []
    # The store now gives none of them as standing, each as voided; the head's are untouched.
    for statement_id in standing:
        assert store.find({"statementId": statement_id}) is None
        assert store.find({"voidedStatementId": statement_id}) is not None
    assert all(
        s["object"]["id"] not in standing for s in store.posted() if s["actor"]["account"]["name"] == str(head.id)
    )

    # Pushing again sends nothing: the voids went once.
    requests = len(store.requests)
    assert push(app).exit_code == 0
    assert len(store.requests) == requests


def test_nothing_the_person_typed_is_sent_after_erasure(app, school, make_person, store):
    leaver = make_person(school, Role.TEACHER)
    complete_module(leaver, school)
    db.session.commit()
    assert push(app).exit_code == 0
    # A course recorded, then the person leaves and is erased before the next push.
    external(leaver, school, title="Makaton at Riverside Children's Centre", key="makaton")
    db.session.commit()
    leave_and_erase(leaver)

    assert push(app).exit_code == 0
    everything_sent = json.dumps([request["body"] for request in store.requests if request["body"]])
    assert "Makaton" not in everything_sent
    # Not in what a store that came later is sent, nor in the statements anyone can export.
    assert "Makaton" not in json.dumps(xapi.statements_for_person(leaver.id))


def test_a_person_erased_before_their_first_push_is_never_sent(app, school, make_person, store):
    leaver = make_person(school, Role.TEACHER)
    stayer = make_person(school, Role.TEACHER)
    complete_module(leaver, school)
    external(leaver, school, title="Makaton at Riverside Children's Centre", key="makaton")
    complete_module(stayer, school)
    db.session.commit()
    leave_and_erase(leaver)

    assert push(app).exit_code == 0
    assert {s["actor"]["account"]["name"] for s in store.posted()} == {str(stayer.id)}


# ---- one push at a time ---------------------------------------------------------------------------


def test_a_second_push_while_one_holds_the_lock_sends_nothing(app, school, make_person, store, on_postgresql):
    if not on_postgresql:
        pytest.skip("the advisory lock is PostgreSQL's; SQLite is one machine's file")
    realistic_ledger(school, make_person)
    other_machine = create_engine(db.engine.url.render_as_string(hide_password=False))
    try:
        with other_machine.connect() as connection:
            assert connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": xapi.PUSH_LOCK_KEY})
            busy = push(app)
            assert busy.exit_code != 0
            assert "another xAPI push is running" in busy.output
            assert store.requests == []
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": xapi.PUSH_LOCK_KEY})
            connection.commit()
        done = push(app)
        assert done.exit_code == 0, done.output
        assert len(store.kept) == len(all_statements())
        # The push let go of the lock when it finished.
        with other_machine.connect() as connection:
            assert connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": xapi.PUSH_LOCK_KEY})
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": xapi.PUSH_LOCK_KEY})
            connection.commit()
    finally:
        other_machine.dispose()


def test_on_sqlite_the_push_says_there_is_no_lock(app, school, make_person, store, on_postgresql):
    if on_postgresql:
        pytest.skip("PostgreSQL has the lock")
    complete_module(make_person(school, Role.TEACHER), school)
    db.session.commit()
    result = push(app)
    assert result.exit_code == 0
    assert "No lock between machines on SQLite" in result.output
