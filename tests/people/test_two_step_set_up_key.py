"""The authenticator key offered during two-step set-up never sits in the session cookie, which is
signed but not encrypted: anyone holding a copy of the cookie could read it."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Role, User
from tests.conftest import PASSWORD, csrf_token_from, sign_in


def post_form(client, url, data, *, page_url=None):
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


# --- finding 7: the two-step set-up key ----------------------------------------------------------


def session_cookie(app, client) -> tuple[str, str]:
    """The session cookie as sent, and what it says once its signature is checked (it is not encrypted)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return cookie.value, json.dumps(data)


def key_on(page) -> str:
    match = re.search(r"Key: <code>([A-Z2-7 ]+)</code>", page.get_data(as_text=True))
    assert match, "no key shown on the set-up page"
    return match.group(1).replace(" ", "")


def assert_key_not_in_cookie(app, client, key: str) -> None:
    raw, readable = session_cookie(app, client)
    for form in (key, key.lower(), " ".join(key[i : i + 4] for i in range(0, len(key), 4))):
        assert form not in raw and form not in readable, f"the set-up key is in the session cookie: {readable}"


@pytest.fixture
def two_step_required(app):
    app.config["TWO_STEP_REQUIRED_FOR_LEADERS"] = True
    yield
    app.config["TWO_STEP_REQUIRED_FOR_LEADERS"] = False


def test_finding_7_the_two_step_set_up_key_is_not_in_the_session_cookie_at_sign_in(
    app, two_step_required, make_school, make_person
):
    head = make_person(make_school(), Role.HEADTEACHER)
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": head.email, "password": PASSWORD})
    assert response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    key = key_on(page)
    assert_key_not_in_cookie(app, client, key)
    # Reloading shows the same key (a scan is not undone), still not in the cookie.
    assert key_on(client.get("/sign-in")) == key
    assert_key_not_in_cookie(app, client, key)

    response = post_form(client, "/sign-in", {"code": pyotp.TOTP(key).now()})
    assert "Two-step sign-in is on" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, head.id).two_step_secret == key
    assert key not in session_cookie(app, client)[1]


def test_finding_7_the_two_step_set_up_key_is_not_in_the_session_cookie_on_the_account_page(
    app, make_school, make_person
):
    teacher = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    sign_in(client, teacher)
    page = client.get("/account/two-step-sign-in")
    key = key_on(page)
    assert_key_not_in_cookie(app, client, key)
    assert key_on(client.get("/account/two-step-sign-in")) == key
    # Another person's set-up gets another key.
    other = app.test_client()
    sign_in(other, make_person(make_school(), Role.TEACHER))
    assert key_on(other.get("/account/two-step-sign-in")) != key

    response = post_form(client, "/account/two-step-sign-in", {"code": pyotp.TOTP(key).now()})
    assert "Two-step sign-in is on" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, teacher.id).two_step_secret == key
