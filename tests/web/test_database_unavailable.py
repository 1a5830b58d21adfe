"""The 503 answer when the database cannot do the work: a page that says nothing was saved (checked like
every page), JSON from the API, a Retry-After header, the transaction rolled back, and the next request
served normally. tests/faults/test_database_connections_killed.py does the same with real dropped
connections; this test makes the error directly, so it runs on SQLite too."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy import select

from app.extensions import db
from app.models import Role, School, SchoolPhase
from app.records import reading
from tests.conftest import sign_in


def dropped_connection(*args, **kwargs):
    raise sqlalchemy_errors.OperationalError(
        "SELECT 1", {}, Exception("server closed the connection unexpectedly"), connection_invalidated=True
    )


@pytest.fixture
def teacher_client(app, make_school, make_person):
    person = make_person(make_school("Oakfield Primary School"), Role.TEACHER)
    client = app.test_client()
    sign_in(client, person)
    return client


def test_a_page_whose_database_went_away_says_nothing_was_saved(teacher_client, monkeypatch):
    monkeypatch.setattr(reading, "build_record", dropped_connection)
    response = teacher_client.get("/cpd/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Sorry, the service is unavailable" in page and "What you just sent was not saved" in page
    assert "will not record it twice" in page
    monkeypatch.undo()
    assert teacher_client.get("/cpd/").status_code == 200


def test_the_api_answers_503_in_json(teacher_client, monkeypatch):
    monkeypatch.setattr(reading, "build_record", dropped_connection)
    response = teacher_client.get("/api/v1/me/cpd")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"]["status"] == 503 and body["error"]["message"] == "Service Unavailable"
    assert body["error"]["reference"]


def test_what_the_request_wrote_is_rolled_back(app, teacher_client, monkeypatch):
    def write_then_lose_the_connection(*args, **kwargs):
        db.session.add(School(urn="999999", name="Half-written School", phase=SchoolPhase.PRIMARY))
        db.session.flush()
        dropped_connection()

    monkeypatch.setattr(reading, "build_record", write_then_lose_the_connection)
    assert teacher_client.get("/cpd/").status_code == 503
    db.session.remove()
    assert db.session.scalars(select(School).where(School.urn == "999999")).first() is None


def test_other_database_errors_are_still_server_errors(teacher_client, monkeypatch):
    def broken_query(*args, **kwargs):
        raise sqlalchemy_errors.ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    monkeypatch.setattr(reading, "build_record", broken_query)
    response = teacher_client.get("/cpd/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
