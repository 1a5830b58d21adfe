"""A request never waits for its email, so how long it takes says nothing about who has an account.

The app is served for real (gunicorn as deployed, and the development server), with a mail server
that takes half a second to accept each message, and `/forgot-password` is timed over HTTP for an address
with an account and one without. A test client would not do: it closes a response when the test
says so, while a real server closes it once the last byte has gone, which is when email is handed on.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import re
import secrets
import socket
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.models import Role
from tests.support import live_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SMTP_DELAY = 0.5  # seconds the mail server takes to accept each message
# Allowed difference between the two paths' median times: far below SMTP_DELAY, and above the
# database work that differs (a token and a message written: 3 to 20 ms on SQLite here) and the
# noise of a busy test machine.
TIMING_BOUND = 0.1
ROUNDS = 5


class SlowInbox:
    """An SMTP server that keeps what it receives, taking SMTP_DELAY over each message."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(SMTP_DELAY)
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{count} messages expected, {len(self.messages)} arrived"
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def slow_inbox() -> Iterator[tuple[SlowInbox, int]]:
    inbox = SlowInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def server_command(kind: str, port: int) -> list[str]:
    if kind == "gunicorn":
        # As README.md deploys it, with one sync worker: the worker that served a request also
        # serves the next, so it must not be busy sending the last one's email.
        return [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
    return [str(BIN / "flask"), "run", "--no-reload", "--no-debugger", "--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def serve(kind: str, database_url: str, smtp_port: int, log_path: Path) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "SEND_READY_ENV": "development",
        "PUBLIC_BASE_URL": base_url,
        "RATELIMIT_ENABLED": "false",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "false",
        "MAIL_DELIVER_IN_REQUEST": "true",
    }
    for inherited in ("REDIS_URL", "FLASK_DEBUG", "FLASK_RUN_PORT", "FLASK_RUN_HOST", "TRUSTED_PROXIES"):
        env.pop(inherited, None)
    with live_server.running(server_command(kind, port), env, base_url, log_path, name=kind, wait=30):
        yield base_url


class Browser:
    """Cookies and CSRF tokens, as a browser has them; times each form it sends."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, float]:
        started = time.perf_counter()
        with self.opener.open(self.base_url + path, timeout=30) as response:
            body = response.read().decode()
        return response.status, body, time.perf_counter() - started

    def post_form(self, path: str, data: dict) -> tuple[int, str, float]:
        _, page, _ = self.get(path)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        request = urllib.request.Request(  # noqa: S310  (a local test server)
            self.base_url + path, data=urllib.parse.urlencode({**data, "csrf_token": token}).encode(), method="POST"
        )
        started = time.perf_counter()
        with self.opener.open(request, timeout=30) as response:
            body = response.read().decode()
        return response.status, body, time.perf_counter() - started


@pytest.mark.parametrize("server_kind", ["gunicorn", "development server"])
def test_finding_5_forgot_password_takes_as_long_for_an_account_as_for_none(
    server_kind, app, database_url, slow_inbox, make_school, make_person, tmp_path
):
    inbox, smtp_port = slow_inbox
    person = make_person(make_school(), Role.TEACHER, email="has.an.account@example.org")
    kind = "gunicorn" if server_kind == "gunicorn" else "flask"
    with serve(kind, database_url, smtp_port, tmp_path / "server.log") as base_url:
        browser = Browser(base_url)
        # Warm up both paths (templates compiled, connections open), then time them in turn.
        browser.post_form("/forgot-password", {"email": "warm.up@example.org"})
        browser.post_form("/forgot-password", {"email": person.email})
        inbox.wait_for(1)
        times: dict[str, list[float]] = {"account": [], "no account": []}
        next_request_times = []
        for round_number in range(ROUNDS):
            status, body, took = browser.post_form("/forgot-password", {"email": "no.account@example.org"})
            assert status == 200 and "Check your email" in body
            times["no account"].append(took)

            status, body, took = browser.post_form("/forgot-password", {"email": person.email})
            assert status == 200 and "Check your email" in body
            times["account"].append(took)
            # The worker that served it is free at once: the next request is not held up by the email.
            next_request_times.append(browser.get("/healthz")[2])
            # And the email still arrives, a moment later.
            inbox.wait_for(2 + round_number)

    account, no_account = statistics.median(times["account"]), statistics.median(times["no account"])
    assert abs(account - no_account) < TIMING_BOUND, times
    assert account < SMTP_DELAY / 2, times
    assert statistics.median(next_request_times) < SMTP_DELAY / 2, next_request_times
    assert {envelope.rcpt_tos[0] for envelope in inbox.messages} == {person.email}
    assert len(inbox.messages) == ROUNDS + 1
    assert all(b"Reset your SEND Ready password" in envelope.content for envelope in inbox.messages)
