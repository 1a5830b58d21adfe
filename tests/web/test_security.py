"""Security headers on every response, errors included, and production-only protections."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.config import ConfigurationError
from app.models import Role
from tests.conftest import TEST_SETTINGS, sign_in


def example_url(rule) -> str:
    from werkzeug.routing import AnyConverter, IntegerConverter

    def example(converter):
        if isinstance(converter, IntegerConverter):
            return 1
        # A choice of a few words (the sign-in providers): one of them.
        return sorted(converter.items)[0] if isinstance(converter, AnyConverter) else "example"

    values = {argument: example(rule._converters.get(argument)) for argument in rule.arguments}
    return rule.rule if not values else rule.build(values)[1]


def assert_security_headers(response, url):
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, url
    assert "frame-ancestors 'none'" in policy, url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url
    assert headers.get("X-Frame-Options") == "DENY", url


def test_every_route_sends_security_headers_signed_out_and_in(app, make_school, make_person):
    head = make_person(make_school(), Role.HEADTEACHER)
    anonymous, signed_in = app.test_client(), app.test_client()
    sign_in(signed_in, head)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        url = example_url(rule)
        for client in (anonymous, signed_in):
            response = client.get(url)
            assert_security_headers(response, url)
            checked += 1
    assert checked >= 20


def test_error_pages_send_security_headers(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert_security_headers(response, "/no-such-page")
    response = client.post("/sign-in", data={})
    assert response.status_code == 400
    assert_security_headers(response, "/sign-in (no CSRF token)")


def test_signed_in_pages_are_not_stored(app, make_school, make_person):
    user = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    assert "no-store" not in client.get("/accessibility").headers.get("Cache-Control", "")
    sign_in(client, user)
    assert client.get("/home").headers["Cache-Control"] == "no-store"
    assert client.get("/accessibility").headers["Cache-Control"] == "no-store"


def test_a_server_error_shows_a_reference_and_logs_it(app, caplog, monkeypatch):
    def explode():
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, "main.accessibility", explode)
    with caplog.at_level(logging.ERROR, logger="send_ready.errors"):
        response = app.test_client().get("/accessibility")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    assert "Sorry, there is a problem with the service" in body
    reference = body.split("this reference: <strong>")[1].split("<")[0]
    assert len(reference) == 8
    assert f"reference {reference}" in caplog.text
    assert "secret internal detail" in caplog.text
    assert_security_headers(response, "/accessibility (failing)")


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("SEND_READY_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")


@pytest.mark.parametrize("secret", [None, "development-only-not-secret", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(production_env, monkeypatch, secret):
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_sets_secure_cookies_and_hsts(production_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    production = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = production.test_client().get("/accessibility", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_development_has_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_database_url_is_read_from_the_environment(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example.org/sendready")
    assert load_config()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://someone@db.example.org/sendready"
    monkeypatch.delenv("DATABASE_URL")
    assert load_config()["SQLALCHEMY_DATABASE_URI"].endswith("instance/send-ready.sqlite3")
    assert TEST_SETTINGS["TESTING"]
