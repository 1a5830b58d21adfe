"""The mail server hanging, then refusing connections, under a running app: every message stays in the
outbox, is tried again later with a growing wait, and is sent exactly once when the server is back; and
the request that wrote the message is no slower than with a healthy mail server.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from tests.conftest import TEST_SETTINGS
from tests.faults.live import BIN, ROOT, Browser, build_and_seed, database_of_its_own, free_port, gunicorn

PEOPLE = 6
MAIL_TIMEOUT = 2  # seconds the app waits on the mail server (MAIL_TIMEOUT)


class Inbox:
    """A working SMTP server that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class HangingMailServer:
    """Accepts connections and then says nothing at all, as a mail server stuck under load does."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def stop(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def ask_for_resets(base_url: str, emails: list[str]) -> list[float]:
    """Each person asks for a password reset link (which writes an email); the seconds each took."""
    took = []
    for email in emails:
        browser = Browser(base_url)
        page = browser.get("/forgot-password")
        started = time.perf_counter()
        response = browser.post("/forgot-password", {"email": email, "csrf_token": Browser.token(page)})
        took.append(time.perf_counter() - started)
        assert response.status_code == 200 and "Check your email" in response.text, response.text[:300]
    return took


def outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return messages


def wait_until_tried(app, count: int, timeout: float = 60) -> list[OutboxMessage]:
    deadline = time.monotonic() + timeout
    while True:
        messages = outbox(app)
        if len(messages) >= count and all(message.attempts >= 1 for message in messages[:count]):
            return messages
        assert time.monotonic() < deadline, [(m.id, m.attempts, m.sent_at) for m in messages]
        time.sleep(0.3)


def make_all_due(app) -> None:
    """As though each message's wait before its next try had passed."""
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(send_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()


def outbox_send(database_url: str, mail_port: int) -> str:
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
        "MAIL_USE_TLS": "false",
        "MAIL_TIMEOUT": str(MAIL_TIMEOUT),
    }
    done = subprocess.run(  # noqa: S603  (our own virtualenv's flask, fixed arguments)
        [str(BIN / "flask"), "outbox", "send"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def database_url():
    with database_of_its_own("mail") as url:
        yield url


def test_mail_server_hanging_or_refusing_loses_no_email_and_slows_no_request(database_url, tmp_path):
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url})
    emails = build_and_seed(app, PEOPLE * 3).teacher_emails
    healthy, hanging, refusing = emails[:PEOPLE], emails[PEOPLE : 2 * PEOPLE], emails[2 * PEOPLE :]
    inbox = Inbox()
    inbox_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox_port)
    controller.start()
    mail_port = free_port()
    try:
        # A healthy mail server first, to measure the requests against.
        settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_USE_TLS": "false", "MAIL_TIMEOUT": str(MAIL_TIMEOUT)}
        with gunicorn(database_url, tmp_path / "healthy.log", MAIL_PORT=str(inbox_port), **settings) as base_url:
            healthy_took = ask_for_resets(base_url, healthy)
            wait_until_tried(app, PEOPLE)
        assert len(inbox.messages) == PEOPLE

        hanging_server = HangingMailServer(mail_port)
        with gunicorn(database_url, tmp_path / "down.log", MAIL_PORT=str(mail_port), **settings) as base_url:
            hanging_took = ask_for_resets(base_url, hanging)
            after_hanging = wait_until_tried(app, 2 * PEOPLE)
            hanging_server.stop()  # now nothing listens: connections are refused
            refusing_took = ask_for_resets(base_url, refusing)
            after_refusing = wait_until_tried(app, 3 * PEOPLE)

        waiting = after_refusing[PEOPLE:]
        assert all(message.sent_at is None and message.attempts == 1 for message in waiting)
        timed_out = [m for m in after_hanging[PEOPLE:] if "timed out" in (m.last_error or "")]
        # Refused, or (for a message tried just as the hanging server stopped) cut off by it.
        refused = [
            m
            for m in after_refusing[2 * PEOPLE :]
            if "ConnectionRefusedError" in (m.last_error or "") or "SMTPServerDisconnected" in (m.last_error or "")
        ]
        assert len(timed_out) == PEOPLE and len(refused) == PEOPLE, [m.last_error for m in waiting]
        # The first retry waits about 2 minutes...
        assert all(message.send_after > utcnow() + timedelta(seconds=90) for message in waiting)
        # ...and the next about 4: `flask outbox send` with the server still refusing.
        make_all_due(app)
        assert (
            outbox_send(database_url, mail_port)
            == f"Sent 0, failed {2 * PEOPLE} (failed messages stay in the outbox and are retried)."
        )
        second_wait = outbox(app)[PEOPLE:]
        assert all(m.attempts == 2 and m.send_after > utcnow() + timedelta(minutes=3.5) for m in second_wait)

        # The mail server is back: everything waiting is sent, once each.
        make_all_due(app)
        assert outbox_send(database_url, inbox_port).startswith(f"Sent {2 * PEOPLE}, failed 0")
        assert outbox_send(database_url, inbox_port).startswith("Sent 0, failed 0")
    finally:
        controller.stop()
    received = sorted(to for message in inbox.messages for to in message.rcpt_tos)
    assert received == sorted(emails), "each person got their email exactly once"
    assert all(message.sent_at is not None for message in outbox(app))
    with app.app_context():
        db.engine.dispose()

    def ms(figures: list[float]) -> str:
        return f"median {statistics.median(figures) * 1000:.0f} ms, slowest {max(figures) * 1000:.0f} ms"

    print(
        f"[fault test] mail server hanging then refusing: requests sent {3 * PEOPLE}, succeeded {3 * PEOPLE}, "
        f"emails written {3 * PEOPLE}, sent once the server was back {2 * PEOPLE}, lost 0; "
        f"request time with a healthy server {ms(healthy_took)}, hanging {ms(hanging_took)}, "
        f"refusing {ms(refusing_took)} (MAIL_TIMEOUT {MAIL_TIMEOUT} s)"
    )
    # Not slowed: a request that waited on the hanging server would take MAIL_TIMEOUT at least; these
    # take a fraction of it, like the healthy ones (the bound leaves room for a busy test machine).
    assert statistics.median(hanging_took) < MAIL_TIMEOUT / 2
    assert statistics.median(refusing_took) < MAIL_TIMEOUT / 2
