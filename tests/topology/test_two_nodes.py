"""Two app nodes behind HAProxy, sharing PostgreSQL and Redis (scripts/two_nodes.py): nothing a
request needs lives in one node alone.

- a session started on one node is good on the other;
- a sign-in limit counts the attempts made on both;
- a change made through one node is shown at once by the other, though the other keeps worked-out
  figures in memory (they are kept under the school's revision, which is in the database);
- the email worker and the scheduled reminders, run on both nodes at once, send nothing twice.

It needs PostgreSQL (`--database=postgresql`), Redis (TEST_REDIS_URL) and HAProxy, and skips, saying
which is missing, without them. .ci/run supplies all three when the machine has them.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from email import message_from_bytes

import pytest
import requests
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.topology


@pytest.fixture
def topology(app, database_url, on_postgresql):
    if not on_postgresql:
        pytest.skip("two nodes need PostgreSQL: run with --database=postgresql and TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("two nodes need Redis: set TEST_REDIS_URL (for example redis://127.0.0.1:6379/15)")
    if not (shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy")):
        pytest.skip("two nodes need HAProxy as the load balancer: apt-get install haproxy")
    from scripts.two_nodes import start

    base = int(os.environ.get("TOPOLOGY_BASE_PORT", "8150"))
    # Counters of its own (a key prefix for this run), so no other test's or run's attempts count here.
    limit = 24
    started = start(
        database_url=database_url,
        redis_url=redis_url,
        lb_port=base,
        port_a=base + 1,
        port_b=base + 2,
        smtp_port=base + 3,
        migrate=False,  # the test session's database is built already
        extra_env={
            "RATELIMIT_KEY_PREFIX": f"two-nodes-{uuid.uuid4().hex}",
            "SIGN_IN_RATE_LIMIT": f"{limit} per hour",
            "TRUSTED_PROXIES": "1",
            "MAIL_DELIVER_IN_REQUEST": "false",
        },
    )
    started.sign_in_limit = limit
    yield started
    started.stop()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _sign_in(browser: requests.Session, base: str, email: str, password: str) -> requests.Response:
    token = _csrf(browser.get(f"{base}/sign-in").text)
    return browser.post(
        f"{base}/sign-in", data={"email": email, "password": password, "csrf_token": token}, allow_redirects=False
    )


def test_two_nodes_behind_a_load_balancer_share_everything(topology, app, make_school, make_person):
    catalogue = app.extensions["catalogue"]
    school = make_school("Two Node Primary")
    head = make_person(school, Role.HEADTEACHER, email="head@two-nodes.example.org")
    ta = make_person(school, Role.TEACHING_ASSISTANT, email="ta@two-nodes.example.org", name="Tariq Two-Nodes")
    node_a, node_b = topology.node_urls["node-a"], topology.node_urls["node-b"]

    # The load balancer shares requests between both nodes.
    served = Counter(requests.get(f"{topology.lb_url}/healthz", timeout=10).headers["X-Served-By"] for _ in range(6))
    assert set(served) == {"node-a", "node-b"}, served

    # A session started on node A is good on node B.
    browser = requests.Session()
    assert _sign_in(browser, node_a, head.email, PASSWORD).status_code == 302
    home = browser.get(f"{node_b}/home", allow_redirects=False)
    assert home.status_code == 200 and head.name in home.text

    # A change made through node A is shown at once by node B, which had worked out the figures before.
    required_of_them = set(catalogue.pathways["teaching_assistant"].required) | set(
        catalogue.pathways["headteacher"].required
    )
    module = next(m for m in catalogue.modules.values() if m.id not in required_of_them)
    for _ in range(4):  # every worker of node B has the dashboard worked out and kept
        before = browser.get(f"{node_b}/leaders/staff-training")
        assert before.status_code == 200 and str(escape(module.title)) not in before.text
    form = browser.get(f"{node_a}/leaders/assign").text
    due = date.today() + timedelta(days=30)
    assigned = browser.post(
        f"{node_a}/leaders/assign",
        data={
            "csrf_token": _csrf(form),
            "once": re.search(r'name="once" type="hidden" value="([^"]+)"', form).group(1),
            "modules": module.id,
            "audience": "person",
            "person": str(ta.id),
            "due_on": [str(due.day), str(due.month), str(due.year)],
        },
        allow_redirects=False,
    )
    assert assigned.status_code == 302, assigned.text[:500]
    for _ in range(4):
        after = browser.get(f"{node_b}/leaders/staff-training")
        assert str(escape(module.title)) in after.text

    # The sign-in limit counts attempts on both nodes: the attempts are shared between them, and the
    # limit is reached when their total reaches it, though neither node alone came near it.
    attempts = requests.Session()
    per_node: Counter = Counter()
    refused_at = None
    for number in range(topology.sign_in_limit + 3):
        node = (node_a, node_b)[number % 2]
        response = _sign_in(attempts, node, f"nobody{number}@two-nodes.example.org", "wrong password")
        if response.status_code == 429:
            refused_at = number + 1
            break
        assert response.status_code == 200
        per_node[node] += 1
    assert refused_at is not None, "the limit was never reached"
    # The headteacher's sign-in counted too; allow one either way for the limiter's window.
    assert topology.sign_in_limit - 2 <= sum(per_node.values()) + 1 <= topology.sign_in_limit + 1
    assert max(per_node.values()) <= topology.sign_in_limit // 2 + 1

    # The email worker and the scheduled reminders on both nodes at once: each message sent once.
    with ThreadPoolExecutor(4) as pool:
        runs = list(
            pool.map(
                lambda args: topology.flask(*args),
                [
                    ("node-a", "send-reminders"),
                    ("node-b", "send-reminders"),
                ],
            )
        )
        runs += list(
            pool.map(
                lambda args: topology.flask(*args),
                [("node-a", "outbox", "send"), ("node-b", "outbox", "send"), ("node-a", "outbox", "send")],
            )
        )
    assert all(run.returncode == 0 for run in runs), [run.stderr[-1000:] for run in runs if run.returncode]
    db.session.remove()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert messages, "the assignment and the reminders should have queued email"
    assert all(message.sent_at is not None for message in messages)
    received = [message_from_bytes(raw) for raw in topology.mail()]
    keys = Counter((mail["To"], mail["Subject"]) for mail in received)
    assert len(received) == len(messages), (len(received), len(messages))
    assert all(count == 1 for count in keys.values()), keys
    assert any(mail["To"] == ta.email for mail in received)
    # Sent again: nothing more goes.
    again = topology.flask("node-b", "send-reminders")
    assert again.returncode == 0
    db.session.remove()
    assert len(db.session.scalars(select(OutboxMessage)).all()) == len(messages)
