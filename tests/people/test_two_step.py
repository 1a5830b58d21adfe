"""Two-step sign-in through the real pages: required for leaders (with the setting on), optional for
everyone else, recovery codes, replayed and wrong codes, the rate limit, and no way round it."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import AuditEvent, RecoveryCode, Role, User
from app.models.base import utcnow
from tests.conftest import PASSWORD, csrf_token_from

SIGN_IN_FAILED = "Enter a correct email address and password"
CODE_FAILED = "Enter a correct security code"


@pytest.fixture
def required(app):
    app.config["TWO_STEP_REQUIRED_FOR_LEADERS"] = True
    yield
    app.config["TWO_STEP_REQUIRED_FOR_LEADERS"] = False


def post_form(client, url, data, *, page_url=None):
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def password_step(client, user, password=PASSWORD):
    return post_form(client, "/sign-in", {"email": user.email, "password": password})


def code_step(client, code):
    return post_form(client, "/sign-in", {"code": code})


def secret_on(page) -> str:
    match = re.search(r"Key: <code>([A-Z2-7 ]+)</code>", page.get_data(as_text=True))
    assert match, "no key shown as text on the set-up page"
    return match.group(1).replace(" ", "")


def fresh_code(user: User) -> str:
    """A code for now, as if the person's last code were a while ago (each code works once)."""
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    totp = pyotp.TOTP(stored.two_step_secret)
    stored.two_step_last_counter = totp.timecode(utcnow()) - 2
    db.session.commit()
    return totp.now()


def set_up_at_sign_in(client, user) -> list[str]:
    """Sign in for the first time as a leader: set up the app, and return the recovery codes shown."""
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    secret = secret_on(page)
    response = post_form(client, "/sign-in", {"code": pyotp.TOTP(secret).now()})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Two-step sign-in is on" in body
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", body)


def signed_in(client) -> bool:
    return client.get("/home").status_code == 200


# --- required for leaders ------------------------------------------------------------------------


def test_a_headteacher_sets_up_two_step_at_first_sign_in(app, client, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    response = password_step(client, head)
    assert response.headers["Location"] == "/sign-in"
    assert not signed_in(client), "a correct password alone must not sign a leader in"
    page = client.get("/sign-in")
    body = page.get_data(as_text=True)
    assert "<title>Set up two-step sign-in" in body
    assert 'src="data:image/svg+xml' in body, "a QR code"
    secret = secret_on(page)
    assert page.headers["Cache-Control"] == "no-store"

    wrong = post_form(client, "/sign-in", {"code": "000000"})
    assert "<title>Error: Set up two-step sign-in" in wrong.get_data(as_text=True)
    assert CODE_FAILED in wrong.get_data(as_text=True)
    assert secret_on(wrong) == secret, "the same key until it is proved"
    assert not signed_in(client)

    response = post_form(client, "/sign-in", {"code": pyotp.TOTP(secret).now()})
    body = response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", body)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(client)
    db.session.expire_all()
    stored = db.session.get(User, head.id)
    assert stored.two_step_secret == secret and stored.has_two_step
    hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert db.session.scalars(select(AuditEvent.action)).all() == ["two_step_set_up"]


@pytest.mark.parametrize("role", [Role.SENCO, Role.SCHOOL_ADMIN])
def test_senco_and_admins_must_set_it_up_too(client, required, make_school, make_person, role):
    leader = make_person(make_school(), role)
    password_step(client, leader)
    assert "<title>Set up two-step sign-in" in client.get("/sign-in").get_data(as_text=True)


def test_la_officers_must_set_it_up_too(client, required, make_person, make_organisation):
    officer = make_person(None, Role.LA_OFFICER, organisation=make_organisation())
    password_step(client, officer)
    assert "<title>Set up two-step sign-in" in client.get("/sign-in").get_data(as_text=True)


def test_after_set_up_every_sign_in_asks_for_a_code(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    set_up_at_sign_in(app.test_client(), head)

    client = app.test_client()
    response = password_step(client, head)
    assert response.headers["Location"] == "/sign-in"
    page = client.get("/sign-in")
    assert "<title>Enter your security code" in page.get_data(as_text=True)
    assert not signed_in(client)

    wrong = code_step(client, "123456")
    assert wrong.status_code == 200
    assert "<title>Error: Enter your security code" in wrong.get_data(as_text=True)
    assert CODE_FAILED in wrong.get_data(as_text=True)
    assert not signed_in(client)

    code = fresh_code(head)
    response = code_step(client, code)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert signed_in(client)

    # The same code cannot sign in again (someone who saw it over a shoulder, say).
    other = app.test_client()
    password_step(other, head)
    replay = code_step(other, code)
    assert CODE_FAILED in replay.get_data(as_text=True)
    assert not signed_in(other)


def test_a_wrong_code_gets_the_same_words_as_a_wrong_recovery_code(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    set_up_at_sign_in(app.test_client(), head)
    client = app.test_client()
    password_step(client, head)
    bodies = [code_step(client, code).get_data(as_text=True) for code in ("654321", "abcde-fghjk", "nonsense")]
    for body in bodies:
        assert CODE_FAILED in body
    stripped = [re.sub(r'value="[^"]*"', "", body) for body in bodies]
    assert stripped[0] == stripped[1] == stripped[2]


def test_a_recovery_code_signs_in_once(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    codes = set_up_at_sign_in(app.test_client(), head)
    client = app.test_client()
    password_step(client, head)
    response = code_step(client, codes[3].upper().replace("-", " "))
    assert response.status_code == 302
    assert "You have 9 left" in client.get("/home").get_data(as_text=True)

    again = app.test_client()
    password_step(again, head)
    assert CODE_FAILED in code_step(again, codes[3]).get_data(as_text=True)


def test_the_code_step_is_rate_limited_per_account(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    set_up_at_sign_in(app.test_client(), head)
    app.config["TWO_STEP_RATE_LIMIT"] = "3 per minute"
    try:
        codes = []
        for number in range(4):
            client = app.test_client()
            address = {"REMOTE_ADDR": f"192.0.2.{number + 10}"}
            token = csrf_token_from(client.get("/sign-in", environ_base=address))
            client.post(
                "/sign-in",
                data={"email": head.email, "password": PASSWORD, "csrf_token": token},
                environ_base=address,
            )
            token = csrf_token_from(client.get("/sign-in", environ_base=address))
            response = client.post("/sign-in", data={"code": "000000", "csrf_token": token}, environ_base=address)
            codes.append(response.status_code)
        assert codes == [200, 200, 200, 429]
    finally:
        app.config["TWO_STEP_RATE_LIMIT"] = "1000 per minute"


def test_a_new_password_alone_does_not_get_past_two_step(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER, email="forgetful.head@example.org")
    set_up_at_sign_in(app.test_client(), head)
    client = app.test_client()
    post_form(client, "/forgot-password", {"email": head.email})
    from tests.people.test_auth import latest_email, link_in

    link = link_in(latest_email(head.email))
    response = post_form(client, link, {"password": "new maple lantern", "confirm": "new maple lantern"})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in(client)
    assert "<title>Enter your security code" in client.get("/sign-in").get_data(as_text=True)
    assert code_step(client, fresh_code(head)).status_code == 302
    assert signed_in(client)


def test_the_second_step_times_out_and_a_password_change_cancels_it(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    set_up_at_sign_in(app.test_client(), head)
    client = app.test_client()
    password_step(client, head)
    with client.session_transaction() as session:
        pending = session["two_step_pending"]
        pending["at"] -= 11 * 60
        session["two_step_pending"] = pending
    response = code_step(client, fresh_code(head))
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert not signed_in(client)
    assert "<title>Sign in" in client.get("/sign-in").get_data(as_text=True)

    password_step(client, head)
    from app.people import accounts

    accounts.end_all_sessions(db.session.get(User, head.id))
    db.session.commit()
    code_step(client, fresh_code(head))
    assert not signed_in(client)


def test_sign_in_as_someone_else_starts_again(app, client, required, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    teacher = make_person(school, Role.TEACHER)
    password_step(client, head)
    assert "<title>Set up two-step sign-in" in client.get("/sign-in").get_data(as_text=True)
    assert "<title>Sign in" in client.get("/sign-in?start_again=1").get_data(as_text=True)
    password_step(client, teacher)
    assert signed_in(client)


def test_the_same_message_for_unknown_email_wrong_password_and_disabled_with_two_step_on(
    app, client, required, make_school, make_person
):
    school = make_school()
    make_person(school, Role.HEADTEACHER, email="known.head@example.org")
    disabled = make_person(school, Role.HEADTEACHER, email="disabled.head@example.org")
    disabled.active = False
    db.session.commit()
    bodies = []
    for email, password in [
        ("nobody@example.org", PASSWORD),
        ("known.head@example.org", "wrong password here"),
        ("disabled.head@example.org", PASSWORD),
    ]:
        response = post_form(client, "/sign-in", {"email": email, "password": password})
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and SIGN_IN_FAILED in body
        bodies.append(re.sub(r'value="[^"]*"', "", body))
    assert bodies[0] == bodies[1] == bodies[2]


def test_with_the_setting_off_leaders_sign_in_with_a_password(app, client, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    response = password_step(client, head)
    assert response.headers["Location"] == "/home"
    assert signed_in(client)


# --- optional for everyone else ------------------------------------------------------------------


def test_a_teacher_may_set_it_up_replace_codes_and_turn_it_off(app, client, required, make_school, make_person):
    teacher = make_person(make_school(), Role.TEACHER)
    assert password_step(client, teacher).headers["Location"] == "/home"
    account = client.get("/account/").get_data(as_text=True)
    assert "It is optional for your role" in account

    page = client.get("/account/two-step-sign-in")
    secret = secret_on(page)
    assert secret_on(client.get("/account/two-step-sign-in")) == secret, "reloading keeps the key"
    wrong = post_form(client, "/account/two-step-sign-in", {"code": "000000"})
    assert "<title>Error: Set up two-step sign-in" in wrong.get_data(as_text=True)
    response = post_form(client, "/account/two-step-sign-in", {"code": pyotp.TOTP(secret).now()})
    assert "Two-step sign-in is on" in response.get_data(as_text=True)
    assert "On, 10 recovery codes left" in client.get("/account/").get_data(as_text=True)

    response = post_form(
        client, "/account/two-step-sign-in/recovery-codes", {"code_for_new_codes": "111111"}, page_url="/account/"
    )
    assert "<title>Error: Your account" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/account/two-step-sign-in/recovery-codes",
        {"code_for_new_codes": fresh_code(teacher)},
        page_url="/account/",
    )
    assert "Your new recovery codes" in response.get_data(as_text=True)

    # From now on the teacher is asked for a code too.
    other = app.test_client()
    assert password_step(other, teacher).headers["Location"] == "/sign-in"

    response = post_form(
        client, "/account/two-step-sign-in/turn-off", {"code_to_turn_off": fresh_code(teacher)}, page_url="/account/"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, teacher.id).has_two_step
    assert db.session.scalars(select(RecoveryCode)).all() == []
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["two_step_set_up", "recovery_codes_replaced", "two_step_turned_off"]


def test_a_leader_cannot_turn_it_off(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    client = app.test_client()
    set_up_at_sign_in(client, head)
    account = client.get("/account/").get_data(as_text=True)
    assert "cannot be turned off" in account and "code_to_turn_off" not in account
    token = csrf_token_from(client.get("/account/"))
    response = client.post(
        "/account/two-step-sign-in/turn-off", data={"csrf_token": token, "code_to_turn_off": fresh_code(head)}
    )
    assert "Your role needs two-step sign-in" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, head.id).has_two_step


def test_operators_can_reset_two_step_for_a_lost_phone(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER, email="lost.phone@example.org")
    set_up_at_sign_in(app.test_client(), head)
    db.session.expire_all()  # the command shares this test's session: forget what it read before the set-up
    result = app.test_cli_runner().invoke(args=["users", "reset-two-step", "lost.phone@example.org"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    password_step(client, head)
    assert "<title>Set up two-step sign-in" in client.get("/sign-in").get_data(as_text=True)


def test_codes_from_a_minute_ago_are_refused(app, required, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    set_up_at_sign_in(app.test_client(), head)
    db.session.expire_all()
    stored = db.session.get(User, head.id)
    stored.two_step_last_counter = None
    db.session.commit()
    old = pyotp.TOTP(stored.two_step_secret).at(utcnow() - timedelta(minutes=2))
    client = app.test_client()
    password_step(client, head)
    assert CODE_FAILED in code_step(client, old).get_data(as_text=True)
