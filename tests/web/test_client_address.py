"""The real client address behind a reverse proxy, and rate limits that count each address and each
account, so that forged `X-Forwarded-For` headers neither shut real people out nor get round a limit.

A proxy adds the address it saw to the end of `X-Forwarded-For`, after whatever the client sent: a
request sent through one proxy by a client at 203.0.113.9 claiming to be 10.0.0.1 reaches SEND Ready
from the proxy's address with `X-Forwarded-For: 10.0.0.1, 203.0.113.9`. The tests below send exactly
that, so they exercise the same headers a real nginx or HAProxy would pass on.
"""

from __future__ import annotations

import logging

import pyotp
import pytest
from werkzeug.datastructures import MultiDict

from app import create_app
from app.config import ConfigurationError
from app.extensions import db
from app.models import Role, User
from app.models.base import utcnow
from tests.conftest import PASSWORD, TEST_SETTINGS, IsolatedContextClient, csrf_token_from

PROXY = "127.0.0.1"
ATTACKER = "203.0.113.9"


@pytest.fixture
def strict_limits(app):
    app.config.update(SIGN_IN_RATE_LIMIT="3 per minute", PASSWORD_RESET_RATE_LIMIT="2 per minute")
    yield
    app.config.update(SIGN_IN_RATE_LIMIT="1000 per minute", PASSWORD_RESET_RATE_LIMIT="1000 per minute")


def app_trusting(proxies: int, database_url: str):
    """The app as deployed behind `proxies` reverse proxies, on the same database as `app`."""
    deployed = create_app(
        {
            **TEST_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TRUSTED_PROXIES": proxies,
            "SIGN_IN_RATE_LIMIT": "3 per minute",
            "PASSWORD_RESET_RATE_LIMIT": "2 per minute",
        }
    )
    deployed.test_client_class = IsolatedContextClient
    return deployed


@pytest.fixture
def app_reached_directly(app, database_url):
    """TRUSTED_PROXIES=0, the default: people connect to the app itself."""
    return app_trusting(0, database_url)


@pytest.fixture
def app_behind_one_proxy(app, database_url):
    return app_trusting(1, database_url)


WRONG_PASSWORD = "wrong guess"


def attempt_sign_in(client, email: str, *, password: str = WRONG_PASSWORD, remote: str, forwarded: str | None = None):
    """A sign-in attempt from `remote` (the socket's address), with X-Forwarded-For if given."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = {"REMOTE_ADDR": remote}
    token = csrf_token_from(client.get("/sign-in", environ_base=environ, headers=headers))
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        headers=headers,
    )


def test_finding_4_forged_forwarded_for_is_ignored_without_a_trusted_proxy(
    app_reached_directly, make_school, make_person, caplog
):
    """With no proxy trusted (the default), people reach SEND Ready directly, each from their own address.

    An attacker varying X-Forwarded-For on every attempt is still counted at their socket's address,
    so the header neither gets them round the limit nor shuts anyone else out. (Were everyone to come
    through one proxy that is not trusted, they would all share the proxy's address, and so its limit:
    that is what TRUSTED_PROXIES is for, tested below, and the app logs a warning saying so.)
    """
    app = app_reached_directly
    school = make_school()
    people = [make_person(school, Role.TEACHER) for _ in range(3)]
    with caplog.at_level(logging.WARNING, logger="send_ready.proxies"):
        codes = [
            attempt_sign_in(
                app.test_client(), people[number % 3].email, remote=ATTACKER, forwarded=f"10.0.0.{number + 1}"
            ).status_code
            for number in range(5)
        ]
    # Three accounts tried once or twice each: only the limit on the attacker's own address is reached.
    assert codes == [200, 200, 200, 429, 429]
    assert "TRUSTED_PROXIES" in caplog.text, "an X-Forwarded-For header with no proxy trusted is pointed out"

    # Everyone else, at their own addresses, signs in as usual, including into the accounts tried.
    for number, person in enumerate(people):
        response = attempt_sign_in(
            app.test_client(), person.email, password=PASSWORD, remote=f"198.51.100.{number + 1}"
        )
        assert response.status_code == 302, person.email
    # A forged header claiming one of their addresses does not borrow its allowance either.
    response = attempt_sign_in(app.test_client(), people[0].email, remote=ATTACKER, forwarded="198.51.100.1")
    assert response.status_code == 429


def test_finding_4_behind_a_trusted_proxy_the_limit_counts_the_address_the_proxy_reports(
    app_behind_one_proxy, make_school, make_person
):
    """Every request comes from the proxy's address; the limit counts the address the proxy reports.

    The attacker's forged entries (left of the proxy's) are ignored, so they are held up at their real
    address however they vary the header, while everyone else behind the same proxy signs in.
    """
    school = make_school()
    people = [make_person(school, Role.TEACHER) for _ in range(4)]
    client = app_behind_one_proxy.test_client
    codes = [
        attempt_sign_in(
            client(), people[number % 4].email, remote=PROXY, forwarded=f"10.0.0.{number + 1}, {ATTACKER}"
        ).status_code
        for number in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]

    # Other people, all through the same proxy, from their own addresses: not held up.
    for number, person in enumerate(people):
        response = attempt_sign_in(
            client(), person.email, password=PASSWORD, remote=PROXY, forwarded=f"198.51.100.{number + 1}"
        )
        assert response.status_code == 302, person.email

    # Guessing one account from many real addresses is still stopped, by the limit on the account.
    target = make_person(school, Role.TEACHER)
    codes = [
        attempt_sign_in(client(), target.email, remote=PROXY, forwarded=f"192.0.2.{number + 1}").status_code
        for number in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_finding_4_a_trusted_proxy_also_gives_the_scheme_and_host(app_behind_one_proxy):
    """X-Forwarded-Proto and X-Forwarded-Host from the trusted proxy are the request's: over HTTPS the
    CSRF check then also insists that a form was sent from the site's own pages."""
    client = app_behind_one_proxy.test_client()
    proxy_headers = {
        "X-Forwarded-For": "198.51.100.20",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "send-ready.example.org",
    }
    environ = {"REMOTE_ADDR": PROXY}
    token = csrf_token_from(client.get("/sign-in", environ_base=environ, headers=proxy_headers))
    form = {"email": "nobody@example.org", "password": "wrong guess", "csrf_token": token}

    own = client.post(
        "/sign-in",
        data=form,
        environ_base=environ,
        headers={**proxy_headers, "Referer": "https://send-ready.example.org/sign-in"},
    )
    assert own.status_code == 200 and "Enter a correct email address and password" in own.get_data(as_text=True)
    with client.skip_page_checks():
        elsewhere = client.post(
            "/sign-in",
            data=form,
            environ_base=environ,
            headers={**proxy_headers, "Referer": "https://attacker.example.net/sign-in"},
        )
    assert elsewhere.status_code == 400


def test_finding_4_trusted_proxies_must_be_a_count(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("TRUSTED_PROXIES", "nginx")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        load_config()
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert load_config()["TRUSTED_PROXIES"] == 2


def post_from(client, url: str, data: dict, *, remote: str, page_url: str | None = None):
    environ = {"REMOTE_ADDR": remote}
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(client.get(page_url or url, environ_base=environ))
    return client.post(url, data=form, environ_base=environ)


def test_finding_7_password_resets_are_limited_per_account_as_well_as_per_address(
    app, strict_limits, make_school, make_person
):
    """Asking for reset links for one address from many addresses is stopped (no flood of email to
    one person), and so is trying one reset link from many; other accounts are not held up."""
    person = make_person(make_school(), Role.TEACHER, email="much.reset@example.org")
    codes = [
        post_from(
            app.test_client(), "/forgot-password", {"email": " Much.Reset@example.org "}, remote=f"192.0.2.{n + 1}"
        ).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    other = post_from(app.test_client(), "/forgot-password", {"email": "someone.else@example.org"}, remote="192.0.2.9")
    assert other.status_code == 200

    from tests.people.test_auth import latest_email, link_in

    link = link_in(latest_email(person.email))
    mismatched = {"password": "maple river lantern", "confirm": "a different one"}
    codes = [post_from(app.test_client(), link, mismatched, remote=f"198.51.100.{n + 1}").status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_finding_4_security_codes_on_the_account_page_are_limited_per_account(app, make_school, make_person):
    """Turning two-step sign-in off, or getting new recovery codes, needs a current code: guesses at it
    count against the account, with those made while signing in, from whatever address."""
    teacher = make_person(make_school(), Role.TEACHER)
    secret = pyotp.random_base32()
    stored = db.session.get(User, teacher.id)
    stored.two_step_secret = secret
    stored.two_step_enabled_at = utcnow()
    db.session.commit()
    client = app.test_client()
    # Signed in with the password and a code.
    page = client.get("/sign-in")
    client.post("/sign-in", data={"email": teacher.email, "password": PASSWORD, "csrf_token": csrf_token_from(page)})
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_from(page)})
    assert response.status_code == 302 and client.get("/home").status_code == 200

    app.config["TWO_STEP_RATE_LIMIT"] = "3 per minute"
    try:
        codes = []
        for number, (url, field) in enumerate(
            [
                ("/account/two-step-sign-in/turn-off", "code_to_turn_off"),
                ("/account/two-step-sign-in/recovery-codes", "code_for_new_codes"),
            ]
            * 2
        ):
            response = post_from(client, url, {field: "000000"}, remote=f"192.0.2.{number + 1}", page_url="/account/")
            codes.append(response.status_code)
        assert codes == [200, 200, 200, 429]
    finally:
        app.config["TWO_STEP_RATE_LIMIT"] = "1000 per minute"
