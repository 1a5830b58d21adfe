"""Email goes through the outbox: written with the change, sent by SMTP, retried, never lost."""

from __future__ import annotations

import socket
import threading
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.leadership import reminders
from app.learning import assignments
from app.models import OutboxMessage, ReminderSent, Role
from app.models.base import utcnow
from app.platform import email


class Inbox:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.messages: list = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    yield inbox
    controller.stop()
    app.config.update(MAIL_SERVER=None, MAIL_PORT=587, MAIL_USE_TLS=True)


def queue(app, to="someone@example.org"):
    with app.test_request_context():
        message = email.queue_email(
            kind="password_reset",
            to=to,
            template="password_reset",
            school_id=None,
            name="Someone",
            link="http://x/y",
            minutes=60,
        )
        db.session.commit()
        return message.id


def test_a_message_is_sent_over_smtp(app, smtp_server):
    message_id = queue(app)
    sent, failed = email.deliver_pending()
    assert (sent, failed) == (1, 0)
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["someone@example.org"]
    content = received.content.decode()
    assert "Subject: Reset your SEND Ready password" in content
    assert "http://x/y" in content
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message.sent_at is not None and message.attempts == 1
    # Nothing is sent twice.
    assert email.deliver_pending() == (0, 0)
    assert len(smtp_server.messages) == 1


def test_a_failed_message_stays_and_is_retried(app, smtp_server):
    message_id = queue(app)
    app.config["MAIL_PORT"] = free_port()  # nothing listens there: the mail server is "down"
    assert email.deliver_pending() == (0, 1)
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message.sent_at is None and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.send_after > utcnow(), "a failed message waits before the next try"
    # Not due yet: the next run leaves it alone.
    assert email.deliver_pending() == (0, 0)

    message.send_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    app.config["MAIL_PORT"] = smtp_server.port  # the mail server is back
    assert email.deliver_pending() == (1, 0)
    assert len(smtp_server.messages) == 1
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message_id).attempts == 2


def test_without_a_mail_server_messages_are_logged(app, caplog):
    queue(app, to="logged@example.org")
    with caplog.at_level("INFO", logger="send_ready.email"):
        assert email.deliver_pending() == (1, 0)
    assert "logged@example.org" in caplog.text
    assert "http://x/y" in caplog.text


def test_email_is_written_only_if_the_change_commits(app):
    with app.test_request_context():
        email.queue_email(
            kind="password_reset",
            to="never@example.org",
            template="password_reset",
            school_id=None,
            name="N",
            link="l",
            minutes=1,
        )
        db.session.rollback()
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_send_command(app):
    queue(app)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0" in result.output


@pytest.mark.postgres
def test_workers_running_at_once_send_each_message_once(app, smtp_server, on_postgresql):
    if not on_postgresql:
        pytest.skip("SKIP LOCKED needs PostgreSQL; run with --database=postgresql")
    for number in range(30):
        queue(app, to=f"person{number}@example.org")
    errors = []

    def worker():
        try:
            with app.app_context():
                email.deliver_pending()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    recipients = [envelope.rcpt_tos[0] for envelope in smtp_server.messages]
    assert sorted(recipients) == sorted(f"person{number}@example.org" for number in range(30))


def test_an_assignment_email_and_a_reminder_record_the_school_they_were_sent_for(app, make_school, make_person):
    # A school's subject access download holds only the email sent for that school.
    school = make_school()
    other_school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    teacher = make_person(school, Role.TEACHER, started_on=date(2024, 9, 1))
    other_head = make_person(other_school, Role.HEADTEACHER)
    catalogue = app.extensions["catalogue"]
    with app.test_request_context():
        assignments.assign_training(
            catalogue=catalogue,
            school=school,
            module_ids=[next(iter(catalogue.modules))],
            user_id=teacher.id,
            role=None,
            due_on=date.today() + timedelta(days=30),
            note=None,
            assigned_by=head,
            once_key="once",
        )
        db.session.commit()
        reminders.send_reminders(catalogue)
    [assigned] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "training_assigned"))
    assert (assigned.user_id, assigned.school_id) == (teacher.id, school.id)
    school_of = {head.id: school.id, teacher.id: school.id, other_head.id: other_school.id}
    sent = {
        kind: {
            (m.user_id, m.school_id)
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        }
        for kind in ("training_reminder", "weekly_digest")
    }
    assert (teacher.id, school.id) in sent["training_reminder"]
    assert sent["weekly_digest"] == {(head.id, school.id), (other_head.id, other_school.id)}
    assert all(school_id == school_of[user_id] for user_id, school_id in sent["training_reminder"])
    # Each message's school is the school of the reminders it was sent for.
    for claim in db.session.scalars(select(ReminderSent)):
        assert db.session.get(OutboxMessage, claim.outbox_message_id).school_id == claim.school_id
