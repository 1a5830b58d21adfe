"""The CPD record as xAPI statements: valid, stable ids, no personal details, and pushed to a store
in batches that resume after a failure without losing or repeating anything."""

from __future__ import annotations

import base64
import copy
import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LedgerEntry, Role, XapiPushCursor
from app.records import ledger, reading, writing, xapi
from app.records.external_cpd import ExternalCpdDetails, Qualification
from app.records.ledger import EntryKind
from app.records.terms import Category, QualificationKind, QualificationStatus, ReviewDecision
from tests.conftest import sign_in
from tests.support.xapi_rules import validate_statement

BASE = "https://send-ready.example.org"
VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture(autouse=True)
def settings(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setitem(app.config, "LRS_URL", None)
    monkeypatch.setitem(app.config, "LRS_USERNAME", "send-ready")
    monkeypatch.setitem(app.config, "LRS_PASSWORD", "lrs-secret")


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")


def at(day: int) -> datetime:
    return datetime(2025, 3, day, 15, 30, tzinfo=UTC)


def complete_module(user, school, module_id="send-essentials", title="SEND essentials", minutes=45, day=1):
    return ledger.append_entry(
        user_id=user.id,
        school_id=school.id,
        kind=EntryKind.MODULE_COMPLETED,
        subject_id=module_id,
        subject_version="1",
        payload={"minutes": minutes, "title": title},
        occurred_at=at(day),
        recorded_by_id=user.id,
        dedupe_key=f"module_completed:{module_id}:1",
    )


def attempt_quiz(user, school, score, total=10, attempt=1, day=2):
    return ledger.append_entry(
        user_id=user.id,
        school_id=school.id,
        kind=EntryKind.QUIZ_ATTEMPTED,
        subject_id="send-essentials",
        subject_version="1",
        payload={
            "attempt": attempt,
            "score": score,
            "total": total,
            "pass_mark": 80,
            "passed": score * 100 >= 80 * total,
            "title": "SEND essentials",
        },
        occurred_at=at(day),
        recorded_by_id=user.id,
        dedupe_key=f"quiz_attempted:{attempt}",
    )


def submit_self_assessment(user, school, day=3):
    return ledger.append_entry(
        user_id=user.id,
        school_id=school.id,
        kind=EntryKind.SELF_ASSESSMENT_SUBMITTED,
        subject_id="whole-school",
        payload={
            "minutes": 30,
            "title": "Self-assessment: Whole-school SEND",
            "category": "reflective_practice",
            "round_id": 1,
            "questions_answered": 6,
        },
        occurred_at=at(day),
        recorded_by_id=user.id,
        dedupe_key="self_assessment_submitted:1",
    )


def external(user, school, *, title="Autism awareness day", minutes=360, key="one", qualification=None):
    details = ExternalCpdDetails(
        title=title,
        provider="County SEND team",
        activity_date=date(2025, 2, 10),
        minutes=minutes,
        category=Category.QUALIFICATION if qualification else Category.COURSE,
        reflection="I now plan visual timetables.",
        qualification=qualification,
    )
    return writing.record_external_cpd(
        user_id=user.id, school_id=school.id, details=details, evidence=None, once_key=key, today=date(2025, 3, 31)
    )


def realistic_ledger(school, make_person):
    """A SENCO's year: a module, a failed then a passed quiz, a self-assessment, a course (corrected),
    the NPQ enrolled on and verified, and a rejected conference; and a headteacher who reviews."""
    senco = make_person(school, Role.SENCO, name="Sam Senco", email="sam.senco@oakfield.example.org")
    head = make_person(school, Role.HEADTEACHER, name="Hana Head", email="hana.head@oakfield.example.org")
    complete_module(senco, school)
    attempt_quiz(senco, school, 6, attempt=1)
    attempt_quiz(senco, school, 9, attempt=2)
    submit_self_assessment(senco, school)
    course = external(senco, school, key="course")
    npq = external(
        senco,
        school,
        title="NPQ for SENCOs",
        minutes=0,
        key="npq",
        qualification=Qualification(QualificationKind.NPQ_SENCO, QualificationStatus.ENROLLED),
    )
    conference = external(senco, school, title="Conference", minutes=300, key="conference")
    db.session.commit()

    record = reading.build_record(senco)
    fixed = ExternalCpdDetails.from_payload({**course.payload, "minutes": 300, "title": "Autism awareness (day 1)"})
    correction = writing.correct_external_cpd(
        record=record,
        entry_id=course.id,
        details=fixed,
        evidence=None,
        keep_evidence=False,
        once_key="fix",
        today=date(2025, 3, 31),
    )
    db.session.commit()
    for entry, decision, comment in ((npq, ReviewDecision.VERIFY, ""), (conference, ReviewDecision.REJECT, "No date")):
        writing.review_external_cpd(
            reviewer_id=head.id,
            school=school,
            record=reading.build_record(senco),
            entry_id=entry.id,
            seen_version_id=entry.id,
            decision=decision,
            comment=comment,
            once_key=f"review-{entry.id}",
        )
    db.session.commit()
    return senco, head, {"course": course, "npq": npq, "conference": conference, "correction": correction}


def everything(statements):
    return json.dumps(statements)


# ---- the statements -------------------------------------------------------------------------------


def test_every_statement_from_a_realistic_record_keeps_the_rules(app, school, make_person):
    senco, _head, _entries = realistic_ledger(school, make_person)
    statements = xapi.statements_for_person(senco.id)

    for statement in statements:
        assert validate_statement(statement) == [], statement
    verbs = [statement["verb"]["id"].removeprefix(VERB) for statement in statements]
    # module, failed quiz, passed quiz, self-assessment, course, NPQ (enrolled), conference,
    # the correction (voiding the course, then the corrected course), the rejection voiding the conference.
    assert verbs == [
        "completed",
        "failed",
        "passed",
        "completed",
        "completed",
        "attempted",
        "completed",
        "voided",
        "completed",
        "voided",
    ]


def test_statements_say_what_happened(app, school, make_person):
    senco, _head, entries = realistic_ledger(school, make_person)
    module, failed, passed, assessed, course, npq, _conference, voids_course, corrected, voids_conference = (
        xapi.statements_for_person(senco.id)
    )

    assert module["actor"] == {"objectType": "Agent", "account": {"homePage": BASE, "name": str(senco.id)}}
    assert module["object"] == {
        "objectType": "Activity",
        "id": f"{BASE}/xapi/activities/module/send-essentials",
        "definition": {"name": {"en-GB": "SEND essentials"}, "type": "http://adlnet.gov/expapi/activities/module"},
    }
    assert module["result"] == {"completion": True, "duration": "PT45M"}
    assert module["timestamp"] == "2025-03-01T15:30:00.000Z"
    assert module["version"] == "1.0.3"
    assert "stored" not in module and "authority" not in module

    assert failed["result"] == {
        "success": False,
        "completion": True,
        "score": {"scaled": 0.6, "raw": 6, "min": 0, "max": 10},
    }
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 0.9
    assert passed["object"]["id"] == f"{BASE}/xapi/activities/quiz/send-essentials"
    assert passed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"

    assert assessed["result"] == {"completion": True, "duration": "PT30M"}
    assert course["result"] == {"completion": True, "duration": "PT6H"}
    assert course["object"]["id"] == f"{BASE}/xapi/activities/external/{entries['course'].id}"
    assert course["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    # Enrolled on a qualification is begun, not finished; it has no hours of its own.
    assert npq["result"] == {"completion": False}

    # A correction voids the version it replaces and restates the same activity with the new details.
    assert voids_course["object"] == {"objectType": "StatementRef", "id": course["id"]}
    assert corrected["object"]["id"] == course["object"]["id"]
    assert corrected["object"]["definition"]["name"] == {"en-GB": "Autism awareness (day 1)"}
    assert corrected["result"]["duration"] == "PT5H"
    # A rejected entry's statement is voided; a verification adds nothing.
    assert voids_conference["object"] == {"objectType": "StatementRef", "id": _conference["id"]}


def test_a_correction_of_a_correction_voids_the_previous_correction(app, school, make_person):
    senco, _head, entries = realistic_ledger(school, make_person)
    first = entries["correction"]
    again = ExternalCpdDetails.from_payload({**first.payload, "minutes": 240})
    writing.correct_external_cpd(
        record=reading.build_record(senco),
        entry_id=first.id,
        details=again,
        evidence=None,
        keep_evidence=False,
        once_key="fix-again",
        today=date(2025, 3, 31),
    )
    db.session.commit()
    *_, voids, restated = xapi.statements_for_person(senco.id)
    assert voids["object"]["id"] == xapi.statement_id(first)
    assert restated["result"]["duration"] == "PT4H"
    assert restated["object"]["id"] == f"{BASE}/xapi/activities/external/{entries['course'].id}"


def test_exporting_again_gives_identical_statements_and_ids(app, school, make_person):
    senco, _head, _entries = realistic_ledger(school, make_person)
    first = xapi.statements_for_person(senco.id)
    db.session.expire_all()
    again = xapi.statements_for_person(senco.id)
    assert again == first
    ids = [statement["id"] for statement in first]
    assert len(set(ids)) == len(ids)
    # The id is derived from the entry's hash, and the push (reading entries in another order) agrees.
    entries = list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
    assert [statement["id"] for statement in xapi.statements_for(entries)] == ids


def test_no_name_or_email_appears_in_any_statement(app, school, make_person):
    senco, head, _entries = realistic_ledger(school, make_person)
    text = everything(xapi.statements_for_person(senco.id)).lower()
    for person in (senco, head):
        assert person.email.lower() not in text
        assert person.name.lower() not in text
        assert person.email.split("@")[0] not in text
    assert "mbox" not in text


def test_a_broken_statement_fails_the_rules(app, school, make_person):
    teacher = make_person(school, Role.TEACHER)
    complete_module(teacher, school)
    attempt_quiz(teacher, school, 7)
    db.session.commit()
    module, quiz = xapi.statements_for(list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))))
    assert validate_statement(module) == [] and validate_statement(quiz) == []

    def broken(statement, change):
        copied = copy.deepcopy(statement)
        change(copied)
        return validate_statement(copied)

    assert broken(module, lambda s: s.update(id="not-a-uuid"))
    assert broken(module, lambda s: s["actor"].update(mbox="mailto:someone@example.org"))
    assert broken(module, lambda s: s["actor"]["account"].pop("homePage"))
    assert broken(module, lambda s: s["verb"].update(id="completed"))
    assert broken(module, lambda s: s["verb"].update(display="completed"))
    assert broken(module, lambda s: s["object"].update(id="module 1"))
    assert broken(module, lambda s: s["result"].update(duration="45 minutes"))
    assert broken(module, lambda s: s["result"].update(completion="yes"))
    assert broken(module, lambda s: s.update(timestamp="2025-03-01T15:30:00"))
    assert broken(module, lambda s: s.update(learner="Sam"))
    assert broken(quiz, lambda s: s["result"]["score"].update(scaled=1.5))
    assert broken(quiz, lambda s: s["result"]["score"].update(raw=11))
    assert broken(quiz, lambda s: s["result"].update(success=1))


# ---- the API --------------------------------------------------------------------------------------


def test_the_api_gives_only_your_own_statements(app, school, make_person):
    _senco, head, _entries = realistic_ledger(school, make_person)
    complete_module(head, school, module_id="graduated-approach", title="The graduated approach")
    db.session.commit()
    client = app.test_client()
    sign_in(client, head)

    response = client.get("/api/v1/me/xapi")
    assert response.status_code == 200
    data = response.get_json()
    assert data["more"] == ""
    assert [statement["object"]["id"] for statement in data["statements"]] == [
        f"{BASE}/xapi/activities/module/graduated-approach"
    ]
    assert {statement["actor"]["account"]["name"] for statement in data["statements"]} == {str(head.id)}
    assert data["statements"] == xapi.statements_for_person(head.id)


def test_the_api_answers_a_signed_out_request_with_401_in_json(client):
    response = client.get("/api/v1/me/xapi")
    assert response.status_code == 401
    assert response.get_json() == {"error": {"status": 401, "message": "Unauthorized"}}


# ---- pushing to a learning record store -----------------------------------------------------------


class FakeStore:
    """A tiny LRS on 127.0.0.1: records each POST and can be told to refuse some."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_requests: set[int] = set()  # 1-based numbers of requests to refuse
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                store.requests.append({"path": self.path, "headers": self.headers, "body": json.loads(body)})
                if len(store.requests) in store.fail_requests:
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b"store unavailable")
                    return
                ids = json.dumps([statement["id"] for statement in store.requests[-1]["body"]]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(ids)))
                self.end_headers()
                self.wfile.write(ids)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/xapi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted_ids(self) -> list[str]:
        return [
            statement["id"]
            for number, request in enumerate(self.requests, 1)
            if number not in self.fail_requests
            for statement in request["body"]
        ]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(app, monkeypatch):
    fake = FakeStore()
    monkeypatch.setitem(app.config, "LRS_URL", fake.url)
    yield fake
    fake.close()


def push(app, *options):
    return app.test_cli_runner().invoke(args=["xapi", "push", "--settle-seconds", "0", *options])


def all_statements() -> list[dict]:
    return xapi.statements_for(list(db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))))


def test_push_sends_every_statement_in_batches_with_the_xapi_headers(app, school, make_person, store):
    realistic_ledger(school, make_person)
    expected = [statement["id"] for statement in all_statements()]

    result = push(app, "--batch", "3")
    assert result.exit_code == 0, result.output
    assert f"{len(expected)} statements in 4 batches" in result.output
    assert [len(request["body"]) for request in store.requests] == [3, 3, 3, 1]
    assert store.accepted_ids() == expected
    first = store.requests[0]
    assert first["path"] == "/xapi/statements"
    assert first["headers"]["X-Experience-API-Version"] == "1.0.3"
    assert first["headers"]["Content-Type"] == "application/json"
    assert first["headers"]["Authorization"] == "Basic " + base64.b64encode(b"send-ready:lrs-secret").decode()
    for request in store.requests:
        for statement in request["body"]:
            assert validate_statement(statement) == []
    assert "lrs-secret" not in result.output


def test_a_second_run_sends_only_what_is_new(app, school, make_person, store):
    senco, _head, _entries = realistic_ledger(school, make_person)
    assert push(app).exit_code == 0
    sent = len(store.requests)

    again = push(app)
    assert again.exit_code == 0
    assert "0 statements in 0 batches" in again.output
    assert len(store.requests) == sent

    complete_module(senco, school, module_id="graduated-approach", title="The graduated approach")
    db.session.commit()
    assert push(app).exit_code == 0
    assert len(store.requests) == sent + 1
    assert [s["object"]["id"] for s in store.requests[-1]["body"]] == [
        f"{BASE}/xapi/activities/module/graduated-approach"
    ]
    ids = store.accepted_ids()
    assert len(ids) == len(set(ids)) == len(all_statements())


def test_a_failed_batch_is_sent_again_next_time_and_nothing_is_lost_or_repeated(app, school, make_person, store):
    realistic_ledger(school, make_person)
    expected = [statement["id"] for statement in all_statements()]
    store.fail_requests = {2}

    failed = push(app, "--batch", "3")
    assert failed.exit_code != 0
    assert "503" in failed.output and "store unavailable" in failed.output
    assert len(store.requests) == 2  # stopped at the failure
    cursor = db.session.scalars(select(XapiPushCursor)).one()
    db.session.refresh(cursor)
    assert cursor.statements_sent == 3

    resumed = push(app, "--batch", "3")
    assert resumed.exit_code == 0, resumed.output
    # The refused batch went again, whole and first; then the rest. Each statement was accepted once.
    assert store.requests[2]["body"] == store.requests[1]["body"]
    assert store.accepted_ids() == expected
    assert push(app, "--batch", "3").exit_code == 0
    assert len(store.requests) == 5


def test_an_unreachable_store_leaves_the_cursor_where_it_was(app, school, make_person, store):
    realistic_ledger(school, make_person)
    store.close()
    result = push(app)
    assert result.exit_code != 0
    assert "could not reach the store" in result.output
    cursor = db.session.scalars(select(XapiPushCursor)).one()
    db.session.refresh(cursor)
    assert (cursor.last_entry_id, cursor.statements_sent) == (0, 0)


def test_without_an_lrs_url_nothing_is_sent(app, school, make_person):
    realistic_ledger(school, make_person)
    result = push(app)
    assert result.exit_code == 0
    assert "LRS_URL is not set" in result.output
    assert db.session.scalars(select(XapiPushCursor)).first() is None


def test_entries_recorded_moments_ago_wait_for_the_next_run(app, school, make_person, store):
    realistic_ledger(school, make_person)
    result = app.test_cli_runner().invoke(args=["xapi", "push"])
    assert result.exit_code == 0
    assert store.requests == []


def test_only_http_addresses_are_used(app, monkeypatch):
    monkeypatch.setitem(app.config, "LRS_URL", "file:///etc/passwd")
    result = push(app)
    assert result.exit_code != 0
    assert "http:// or https://" in result.output


def test_a_redirect_is_not_followed(app, school, make_person, monkeypatch):
    """Statements go to the configured address only, never where an answer points."""
    visited = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            visited.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setitem(app.config, "LRS_URL", f"http://127.0.0.1:{server.server_port}")
        complete_module(make_person(school, Role.TEACHER), school)
        db.session.commit()
        result = push(app)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code != 0
    assert visited == ["/statements"]
