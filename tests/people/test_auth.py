"""Sign-in, invitations, password resets, sessions and rate limits, through the real pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import AccountToken, InvitationStatus, Membership, MembershipInvitation, OutboxMessage, Role, User
from app.models.base import utcnow
from app.people import accounts
from tests.conftest import PASSWORD, csrf_token_from, sign_in

SIGN_IN_FAILED = "Enter a correct email address and password"


def post_form(client, url, data, *, page_url=None):
    """Fetch the form page for its CSRF token, then post the form as a browser would."""
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def link_in(message: OutboxMessage) -> str:
    match = re.search(r"http://localhost(/\S+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def latest_email(to: str) -> OutboxMessage:
    db.session.expire_all()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no email to {to}"
    return message


def invite(client, email="new.ta@example.org", role="teaching_assistant", name="Nia Newstart"):
    return post_form(
        client,
        "/school/people/invite",
        [
            ("name", name),
            ("email", email),
            ("role", role),
            ("started_on", "2"),
            ("started_on", "9"),
            ("started_on", "2026"),
        ],
    )


# --- Invitations -------------------------------------------------------------------------------


def test_headteacher_invites_and_the_person_sets_a_password_and_is_signed_in(app, signed_in_client):
    client, _, school = signed_in_client
    response = invite(client, email="  New.TA@Example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/school/people/"
    listing = client.get("/school/people/").get_data(as_text=True)
    assert "Nia Newstart" in listing and "Invited" in listing

    message = latest_email("new.ta@example.org")
    assert message.kind == "invitation"
    assert school.name in message.subject
    assert message.sent_at is not None, "the logged sender delivers right after the request commits"

    newcomer = app.test_client()
    link = link_in(message)
    assert newcomer.get(link).status_code == 200
    response = post_form(newcomer, link, {"password": "maple river lantern", "confirm": "maple river lantern"})
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    home = newcomer.get("/home").get_data(as_text=True)
    assert "Your training" in home and school.name in home

    # The link works once.
    assert app.test_client().get(link).status_code == 404
    # And the new password signs in from another browser.
    user = db.session.scalars(select(User).where(User.email == "new.ta@example.org")).one()
    sign_in(app.test_client(), user, "maple river lantern")


def test_inviting_the_same_person_twice_creates_one_invitation(signed_in_client):
    client, _, school = signed_in_client
    assert invite(client).status_code == 302
    again = invite(client)
    assert again.status_code == 200
    assert "has already been invited as a teaching assistant" in again.get_data(as_text=True)
    db.session.expire_all()
    pending = db.session.scalars(select(MembershipInvitation).where(MembershipInvitation.school_id == school.id)).all()
    assert [invitation.status for invitation in pending] == [InvitationStatus.PENDING]
    # Only the headteacher works there until the invitation is accepted.
    assert len(db.session.scalars(select(Membership).where(Membership.school_id == school.id)).all()) == 1


def test_invitation_form_errors_keep_what_was_typed(signed_in_client):
    client, _, _ = signed_in_client
    response = post_form(
        client,
        "/school/people/invite",
        [("name", "Kept Name"), ("email", "not-an-email"), ("started_on", "31"), ("started_on", "2")],
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in body
    assert "govuk-error-summary" in body
    assert 'value="Kept Name"' in body
    assert 'value="not-an-email"' in body
    assert "Enter an email address in the correct format" in body
    assert "Select the person&#39;s role" in body or "Select the person's role" in body
    assert "Enter a real date" in body


def test_an_existing_account_is_invited_to_join_not_reinvited(app, signed_in_client, make_school, make_person):
    client, _, school = signed_in_client
    other_school = make_school()
    existing = make_person(other_school, Role.GOVERNOR, email="twice@example.org")
    assert invite(client, email="twice@example.org", role="governor").status_code == 302
    message = latest_email("twice@example.org")
    assert message.kind == "invitation"
    assert "set-password" not in message.body_text and "/invitations/" in message.body_text
    # Their password still works, and they hold no role at the inviting school until they accept.
    sign_in(app.test_client(), existing)
    db.session.expire_all()
    assert not db.session.scalars(
        select(Membership).where(Membership.school_id == school.id, Membership.user_id == existing.id)
    ).all()


def test_an_expired_invitation_link_is_refused(app, signed_in_client):
    client, _, _ = signed_in_client
    invite(client)
    message = latest_email("new.ta@example.org")
    token = db.session.scalars(select(AccountToken)).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = app.test_client().get(link_in(message))
    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True)


def test_a_new_invitation_cancels_the_earlier_link(app, signed_in_client):
    client, _, _ = signed_in_client
    invite(client)
    first_link = link_in(latest_email("new.ta@example.org"))
    invitation = db.session.scalars(select(MembershipInvitation)).one()
    page = client.get("/school/people/")
    response = client.post(
        f"/school/people/invitations/{invitation.id}/resend", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    second_link = link_in(latest_email("new.ta@example.org"))
    assert first_link != second_link
    assert app.test_client().get(first_link).status_code == 404
    assert app.test_client().get(second_link).status_code == 200


# --- Password rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "8 characters or more"),
        ("password1", "too common"),
        ("qwertyuiop", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("x" * 257, "256 characters or fewer"),
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(app, signed_in_client, password, problem):
    client, _, _ = signed_in_client
    invite(client)
    link = link_in(latest_email("new.ta@example.org"))
    newcomer = app.test_client()
    response = post_form(newcomer, link, {"password": password, "confirm": password})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert problem in body
    assert "<title>Error: " in body
    # The link still works: a refused password does not use it up.
    assert newcomer.get(link).status_code == 200


def test_long_passphrases_and_any_characters_are_accepted(app, signed_in_client):
    client, _, _ = signed_in_client
    invite(client)
    link = link_in(latest_email("new.ta@example.org"))
    passphrase = "the owl and the pussycat went to sea in a beautiful pea-green boat 🦉 £" * 2
    response = post_form(app.test_client(), link, {"password": passphrase, "confirm": passphrase})
    assert response.status_code == 302


def test_mismatched_confirmation_is_refused(app, signed_in_client):
    client, _, _ = signed_in_client
    invite(client)
    link = link_in(latest_email("new.ta@example.org"))
    response = post_form(app.test_client(), link, {"password": "maple river lantern", "confirm": "maple river"})
    assert "The passwords do not match" in response.get_data(as_text=True)


def test_password_is_stored_as_an_argon2id_hash(make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


# --- Sign in and out ---------------------------------------------------------------------------


def test_the_same_message_for_unknown_email_wrong_password_and_disabled_account(app, client, make_school, make_person):
    school = make_school()
    user = make_person(school, Role.TEACHER, email="known@example.org")
    disabled = make_person(school, Role.TEACHER, email="disabled@example.org")
    disabled.active = False
    db.session.commit()
    bodies = []
    for email, password in [
        ("nobody@example.org", PASSWORD),
        ("known@example.org", "wrong password here"),
        ("disabled@example.org", PASSWORD),
    ]:
        response = post_form(client, "/sign-in", {"email": email, "password": password})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert SIGN_IN_FAILED in body
        assert "<title>Error: Sign in" in body
        bodies.append(re.sub(r'value="[^"]*"', "", body))
    # Apart from the email typed in and the CSRF token, the three answers are identical.
    assert bodies[0] == bodies[1] == bodies[2]
    assert user.id  # the known account exists


def test_sign_in_is_case_insensitive_on_email(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER, email="mixed@example.org")
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": "  MIXED@Example.ORG", "password": PASSWORD})
    assert response.status_code == 302
    assert user.id


def test_sign_in_starts_a_new_session(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    page = client.get("/sign-in")
    token_before = csrf_token_from(page)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token_before})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id", "").startswith(f"{user.id}:")
    # The CSRF token from before sign-in no longer works.
    response = client.post("/sign-out", data={"csrf_token": token_before})
    assert response.status_code == 400


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    sign_in(client, user)
    stolen = client.get_cookie("send_ready_session").value
    page = client.get("/home")
    response = client.post("/sign-out", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.get("/home").status_code == 302

    replay = app.test_client()
    replay.set_cookie("send_ready_session", stolen)
    response = replay.get("/home")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_deactivating_an_account_ends_its_sessions(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    sign_in(client, user)
    assert client.get("/home").status_code == 200
    accounts.deactivate(user)
    db.session.commit()
    assert client.get("/home").status_code == 302


def test_deactivate_command(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER, email="leaving@example.org")
    result = app.test_cli_runner().invoke(args=["users", "deactivate", "leaving@example.org"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False


def test_idle_sessions_time_out(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    sign_in(client, user)
    with client.session_transaction() as session:
        session["last_seen_at"] -= app.config["SESSION_IDLE_TIMEOUT"].total_seconds() + 1
    response = client.get("/school/people/?page=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert client.get("/home").status_code == 302


def test_activity_keeps_a_session_alive_until_the_absolute_limit(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    sign_in(client, user)
    assert client.get("/home").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() + 1
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/school/people/", "/school/people/"),
        ("https://evil.example.org/", "/home"),
        ("//evil.example.org/", "/home"),
        ("/\\evil.example.org", "/home"),
        ("javascript:alert(1)", "/home"),
    ],
)
def test_next_only_redirects_within_this_site(app, make_school, make_person, next_url, expected):
    user = make_person(make_school(), Role.HEADTEACHER)
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        query_string={"next": next_url},
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page)},
    )
    assert response.headers["Location"] == expected


def test_signed_out_visitors_are_sent_to_sign_in_and_back(app, make_school, make_person):
    user = make_person(make_school(), Role.HEADTEACHER)
    client = app.test_client()
    response = client.get("/school/people/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=%2Fschool%2Fpeople%2F"
    page = client.get(response.headers["Location"])
    response = client.post(
        response.headers["Location"],
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page)},
    )
    assert response.headers["Location"] == "/school/people/"


def test_forms_without_a_csrf_token_are_refused(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    response = app.test_client().post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_by_email(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER, email="forgetful@example.org")
    other_browser = app.test_client()
    sign_in(other_browser, user)

    client = app.test_client()
    response = post_form(client, "/forgot-password", {"email": "Forgetful@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    message = latest_email("forgetful@example.org")
    assert message.kind == "password_reset"
    link = link_in(message)
    response = post_form(client, link, {"password": "new maple lantern", "confirm": "new maple lantern"})
    assert response.status_code == 302
    # Every other session has ended; the old password no longer works; the new one does.
    assert other_browser.get("/home").status_code == 302
    failed = post_form(app.test_client(), "/sign-in", {"email": user.email, "password": PASSWORD})
    assert SIGN_IN_FAILED in failed.get_data(as_text=True)
    sign_in(app.test_client(), user, "new maple lantern")
    assert app.test_client().get(link).status_code == 404


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(client):
    response = post_form(client, "/forgot-password", {"email": "stranger@example.org"})
    assert "Check your email" in response.get_data(as_text=True)
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_reset_links_expire(app, make_school, make_person):
    make_person(make_school(), Role.TEACHER, email="slow@example.org")
    post_form(app.test_client(), "/forgot-password", {"email": "slow@example.org"})
    link = link_in(latest_email("slow@example.org"))
    token = db.session.scalars(select(AccountToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 404


# --- Rate limits -------------------------------------------------------------------------------


@pytest.fixture
def strict_limits(app):
    app.config.update(SIGN_IN_RATE_LIMIT="3 per minute", PASSWORD_RESET_RATE_LIMIT="2 per minute")
    yield
    app.config.update(SIGN_IN_RATE_LIMIT="1000 per minute", PASSWORD_RESET_RATE_LIMIT="1000 per minute")


def test_sign_in_is_rate_limited(app, client, strict_limits, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    token = csrf_token_from(client.get("/sign-in"))
    codes = [
        client.post("/sign-in", data={"email": user.email, "password": "guess", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Reading the page is never limited.
    assert client.get("/sign-in").status_code == 200


def test_sign_in_is_limited_per_account_across_addresses(app, strict_limits, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    codes = []
    for number in range(4):
        client = app.test_client()
        address = {"REMOTE_ADDR": f"192.0.2.{number + 1}"}
        token = csrf_token_from(client.get("/sign-in", environ_base=address))
        response = client.post(
            "/sign-in",
            data={"email": user.email, "password": "guess", "csrf_token": token},
            environ_base=address,
        )
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 429]


def test_password_reset_is_rate_limited(client, strict_limits):
    token = csrf_token_from(client.get("/forgot-password"))
    codes = [
        client.post("/forgot-password", data={"email": "a@example.org", "csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
