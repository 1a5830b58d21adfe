"""Completing a module emails the person their certificate, through the outbox and SMTP, once."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Role
from app.platform import email
from tests.conftest import csrf_token_from, sign_in
from tests.platform.test_outbox import smtp_server  # noqa: F401 - the fixture
from tests.support.quiz_helpers import take_quiz

MODULE = "ta-group-work"


def read_every_page(app, client, module_id=MODULE):
    for page in app.extensions["catalogue"].modules[module_id].pages:
        url = f"/training/modules/{module_id}/pages/{page.slug}"
        assert client.post(url, data={"csrf_token": csrf_token_from(client.get(url))}).status_code in (200, 302)


def test_completing_a_module_emails_the_certificate_once(app, make_school, make_person, smtp_server):  # noqa: F811
    school = make_school("Oakfield Primary School")
    person = make_person(school, Role.TEACHING_ASSISTANT, name="Amara Oakley", email="amara@oakfield.example.org")
    client = app.test_client()
    sign_in(client, person)
    read_every_page(app, client)
    take_quiz(app, client, MODULE)
    take_quiz(app, client, MODULE)  # passing again completes nothing more, and sends nothing more

    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "certificate_issued")).all()
    assert len(messages) == 1
    assert (messages[0].user_id, messages[0].school_id) == (person.id, school.id)
    # Sent after the response by the background sender, or now by a worker: either way, once.
    email.deliver_pending()
    deadline = time.monotonic() + 10
    while not smtp_server.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["amara@oakfield.example.org"]
    sent = message_from_bytes(received.content, policy=default)
    title = app.extensions["catalogue"].modules[MODULE].title
    assert sent["Subject"] == f"Your certificate: {title}"
    body = sent.get_content()
    assert f"http://localhost/cpd/certificates/{MODULE}" in body
    verify_link = re.search(r"http://localhost(/verify/\S+)", body).group(1)
    page = app.test_client().get(verify_link)
    assert page.status_code == 200 and "This certificate is valid" in page.get_data(as_text=True)
