"""Email through an outbox: a message is a row written with the change that caused it, then sent.

A request never sends email itself: once its response has gone, each web process's background
sender sends what the request committed (or, with MAIL_DELIVER_IN_REQUEST off, a worker does).
Sending claims rows one at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so any number of
workers can drain the outbox together; a failure leaves the row for a later retry with back-off.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import re
import smtplib
import threading
import time
from datetime import timedelta
from email.message import EmailMessage

from flask import Flask, Response, current_app, g, has_app_context, render_template
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow

log = logging.getLogger("send_ready.email")

MAX_BACKOFF = timedelta(hours=6)


# An invitation's or a password reset's link signs in whoever holds it until it is used or expires.
SIGN_IN_LINK = re.compile(r"\S*/(?:set|reset)-password/[A-Za-z0-9_-]+")
SIGN_IN_LINK_REMOVED = "[link removed: it signs in whoever holds it]"


def without_sign_in_links(text: str) -> str:
    """The text with every sign-in link replaced by a note: for any copy of an email shown or downloaded."""
    return SIGN_IN_LINK.sub(SIGN_IN_LINK_REMOVED, text)


class AnotherPerson(str):
    """A name in an email that is not the recipient's (who invited them, who assigned the training).

    Pass it to `queue_email` wrapped in this: the email is sent with the name, and the person's
    subject access copy of it has ANOTHER_PERSON instead, since a download of their data holds
    nothing about anyone else.
    """


ANOTHER_PERSON = "[another person]"


def _render(template: str, context: dict) -> tuple[str, str]:
    rendered = render_template(f"email/{template}.txt", **context)
    subject, _, body = rendered.partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue_email(
    *, kind: str, to: str, template: str, school_id: int | None, user_id: int | None = None, **context
) -> OutboxMessage:
    """Write a message to the outbox. The first line of the rendered template is the subject.

    `school_id` is the school the message is sent for, or None for the person's own account (a
    password reset): every caller says which, because a school's subject access download holds only
    the email sent for that school. Other people's names in `context` are wrapped in AnotherPerson.
    """
    subject, body = _render(template, context)
    anonymous = {key: ANOTHER_PERSON if isinstance(value, AnotherPerson) else value for key, value in context.items()}
    subject_for_subject_access, body_for_subject_access = _render(template, anonymous)
    if subject_for_subject_access != subject:
        raise ValueError(f"the subject of email/{template}.txt names another person; only its text may")
    message = OutboxMessage(
        kind=kind,
        user_id=user_id,
        school_id=school_id,
        to_address=to,
        subject=subject,
        body_text=body,
        body_text_for_subject_access=without_sign_in_links(body_for_subject_access),
    )
    db.session.add(message)
    db.session.flush()
    g.setdefault("email_ids_awaiting_commit", []).append(message.id)
    return message


@event.listens_for(Session, "after_commit")
def _remember_committed_email(session):
    if has_app_context() and "email_ids_awaiting_commit" in g:
        g.setdefault("committed_email_ids", []).extend(g.pop("email_ids_awaiting_commit"))


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_email(session):
    if has_app_context():
        g.pop("email_ids_awaiting_commit", None)


def _transport_send(message: OutboxMessage) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        log.info(
            "Email not sent (MAIL_SERVER is not set) to=%s subject=%r\n%s",
            message.to_address,
            message.subject,
            message.body_text,
        )
        return
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@send-ready>"
    email.set_content(message.body_text)
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 20)) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2**attempts), MAX_BACKOFF)


def deliver_pending(*, limit: int = 100, only_ids: list[int] | None = None) -> tuple[int, int]:
    """Send due messages, each in its own transaction. Returns (sent, failed). Commits."""
    sent = failed = 0
    for _ in range(limit):
        now = utcnow()
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.send_after <= now)
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if only_ids is not None:
            query = query.where(OutboxMessage.id.in_(only_ids))
        message = db.session.scalars(query).first()
        if message is None:
            break
        try:
            _transport_send(message)
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.send_after = utcnow() + _backoff(message.attempts)
            failed += 1
            log.warning("Email %s failed (attempt %s): %s", message.id, message.attempts, error)
        else:
            message.attempts += 1
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed


class BackgroundSender:
    """A thread in each web process that sends the email a request committed, once its response has gone.

    A request never waits for SMTP: its response is sent first, then the ids of the messages it
    committed are handed to this thread. So how long a request takes says nothing about whether it
    wrote an email (a password reset for an address with an account, or for one without), and a slow
    mail server holds up no one, not even the next request to the same worker. The outbox row is the
    record, written in the request's transaction: if sending fails, or the process ends first, it
    stays there for `flask outbox work` (or `flask outbox send`) to send.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._work: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def hand_over(self, app: Flask, ids: list[int]) -> None:
        """Send these committed messages soon, in the background."""
        with self._lock:
            # Started on first use, so in each gunicorn worker after it forks, and again if it died.
            if self._work is None or self._pid != os.getpid() or not (self._thread and self._thread.is_alive()):
                self._work = queue.Queue()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._send_forever, args=(self._work,), daemon=True)
                self._thread.name = "send-ready-email"
                self._thread.start()
            self._work.put((app, ids))

    @staticmethod
    def _send_forever(work: queue.Queue) -> None:
        while True:
            app, ids = work.get()
            try:
                with app.app_context():
                    try:
                        deliver_pending(limit=len(ids), only_ids=ids)
                    except Exception:
                        db.session.rollback()
                        log.exception("Sending a request's email failed; the outbox keeps it for the worker")
            finally:
                work.task_done()

    def wait_until_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every message handed over has been tried. False if that took longer than `timeout`."""
        work = self._work
        if work is None or self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        with work.all_tasks_done:
            while work.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                work.all_tasks_done.wait(remaining)
        return True


background_sender = BackgroundSender()
# A worker that is stopping (gunicorn restarts them) first finishes what it was handed, for a while.
atexit.register(background_sender.wait_until_idle, 10.0)


def send_committed_email_after_response(response: Response) -> Response:
    """Hand the messages this request committed to the background sender once the response has gone.

    Only committed rows are sent, so a request that failed never emails. With MAIL_DELIVER_IN_REQUEST
    off, a worker running `flask outbox work` sends everything instead.
    """
    ids = g.pop("committed_email_ids", None)
    if ids and current_app.config["MAIL_DELIVER_IN_REQUEST"]:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        # Runs when the server closes the response, after its last byte was written.
        response.call_on_close(lambda: background_sender.hand_over(app, ids))
    return response


def messages_for(user_id: int, limit: int = 100) -> list[OutboxMessage]:
    """The emails written to a person, newest first: so they can see what was sent to them."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.user_id == user_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )
