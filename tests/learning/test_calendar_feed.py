"""A person's training due dates as an iCalendar feed at a secret address they can make again or turn off."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select

from app.content import catalogue
from app.extensions import db
from app.learning import calendar_feed
from app.models import Assignment, ModuleProgress, Role, User
from tests.conftest import csrf_token_from, sign_in

STARTED = date(2024, 9, 1)


@pytest.fixture
def teacher(app, make_school, make_person):
    school = make_school("Calendar Primary")
    person = make_person(school, Role.TEACHER, started_on=STARTED)
    client = app.test_client()
    sign_in(client, person)
    return client, person, school


def make_address(client) -> str:
    page = client.get("/account/calendar")
    response = client.post("/account/calendar", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    shown = client.get("/account/calendar").get_data(as_text=True)
    return re.search(r'id="calendar-address" type="text" value="([^"]+)"', shown).group(1)


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_each_due_date_without_a_session(app, teacher):
    client, _, _ = teacher
    address = make_address(client)
    path = address.split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()
    response = anonymous.get(f"/{path}")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = events_of(response.data)
    pathway = catalogue().pathways["teacher"]
    titles = {catalogue().modules[m].title for m in pathway.required}
    assert {f"Due: {title}" for title in titles} <= set(events)
    first = events[f"Due: {catalogue().modules['send-essentials'].title}"]
    assert first.decoded("dtstart") == STARTED + timedelta(days=pathway.new_starter_window_days)
    assert "Calendar Primary" in str(first["description"])
    assert str(first["url"]).endswith("/training/modules/send-essentials")


def test_completed_modules_show_their_renewal_and_assignments_their_date(app, teacher):
    _, person, school = teacher
    done = datetime(2025, 3, 4, 9, tzinfo=UTC)
    db.session.add(
        ModuleProgress(
            user_id=person.id,
            module_id="send-essentials",
            reading_version="v",
            pages_read=["x"],
            completed_at=done,
            completed_version="v",
        )
    )
    db.session.add(
        Assignment(
            school_id=school.id,
            user_id=person.id,
            module_id="preparing-for-adulthood",
            due_on=date(2026, 12, 12),
            assigned_by_id=person.id,
            once_key="calendar-test",
        )
    )
    db.session.commit()
    events = events_of(calendar_feed.feed(catalogue(), db.session.get(User, person.id)))
    essentials = catalogue().modules["send-essentials"].title
    assert f"Due: {essentials}" not in events
    assert events[f"Renew by today: {essentials}"].decoded("dtstart") == date(2028, 3, 4)
    assigned = events[f"Due: {catalogue().modules['preparing-for-adulthood'].title}"]
    assert assigned.decoded("dtstart") == date(2026, 12, 12)
    assert "assigned to you" in str(assigned["description"])


def test_only_a_hash_of_the_secret_is_stored(app, teacher):
    client, person, _ = teacher
    address = make_address(client)
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(select(User.calendar_feed_hash).where(User.id == person.id))
    assert stored and secret not in stored and len(secret) >= 40
    # The address is shown once: the page does not show it again.
    assert secret not in client.get("/account/calendar").get_data(as_text=True)


def test_a_new_address_stops_the_old_one_and_turning_off_stops_both(app, teacher):
    client, _, _ = teacher
    old = make_address(client).split("/training/", 1)[1]
    new = make_address(client).split("/training/", 1)[1]
    anonymous = app.test_client()
    assert anonymous.get(f"/training/{old}").status_code == 404
    assert anonymous.get(f"/training/{new}").status_code == 200
    page = client.get("/account/calendar")
    assert client.post("/account/calendar/off", data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert anonymous.get(f"/training/{new}").status_code == 404
    assert "You have no calendar address yet" in client.get("/account/calendar").get_data(as_text=True)


def test_a_deactivated_person_has_no_feed(app, teacher):
    client, person, _ = teacher
    path = make_address(client).split("/training/", 1)[1]
    db.session.get(User, person.id).active = False
    db.session.commit()
    assert app.test_client().get(f"/training/{path}").status_code == 404


def test_making_an_address_needs_the_form_token(app, teacher):
    client, person, _ = teacher
    assert client.post("/account/calendar", data={}).status_code in {302, 400}
    assert db.session.scalar(select(User.calendar_feed_hash).where(User.id == person.id)) is None


def test_the_account_page_leads_to_the_calendar(app, teacher):
    client, _, _ = teacher
    page = client.get("/account/").get_data(as_text=True)
    assert 'href="/account/calendar">Set up your training calendar</a>' in page
