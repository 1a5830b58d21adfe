"""What the fault tests share: a database of their own on the PostgreSQL server, the app served for real
by gunicorn on it, browsers that sign in and fill in forms over HTTP, and the figures they print.

Every fault test starts and stops only what it started itself: its own database (dropped afterwards),
its own gunicorn, its own Redis or mail server. It never stops the shared PostgreSQL or Redis servers.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import live_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n% a tiny evidence file for the fault tests\n%%EOF\n"
# Ports these tests' own servers listen on, when free (anything free otherwise).
PORTS = range(8180, 8200)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port(preferred: range = PORTS) -> int:
    for port in [*preferred, 0]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port")


def postgresql_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("needs PostgreSQL: run with --database=postgresql and TEST_DATABASE_URL")
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@contextmanager
def database_of_its_own(purpose: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database named after TEST_DATABASE_URL's, dropped afterwards."""
    server = make_url(postgresql_server_url())
    name = f"{server.database}_{purpose}_{secrets.token_hex(3)}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def terminate_connections(database_url: str) -> int:
    """Kill every server process connected to this database (as a restart or a failover would)."""
    parsed = make_url(database_url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": parsed.database},
                ).all()
            )
    finally:
        admin.dispose()


@dataclass
class Seeded:
    school_id: int
    teacher_emails: list[str]
    teacher_ids: dict[str, int]


def build_and_seed(app, teachers: int) -> Seeded:
    """Run the real migrations on the app's database, then add a school and its teachers."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.models import Membership, Role, School, SchoolPhase, User
    from app.people.passwords import hash_password

    with app.app_context():
        upgrade()
        school = School(urn="870001", name="Faultline Primary School", phase=SchoolPhase.PRIMARY)
        db.session.add(school)
        db.session.flush()
        ids = {}
        password_hash = hash_password(PASSWORD)
        for number in range(teachers):
            user = User(email=f"teacher{number}@faultline.example.org", name=f"Teacher {number}")
            user.password_hash = password_hash
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Membership(user_id=user.id, role=Role.TEACHER, started_on=date(2024, 9, 1), school_id=school.id)
            )
            ids[user.email] = user.id
        db.session.commit()
        seeded = Seeded(school.id, list(ids), ids)
        db.session.remove()
    return seeded


@contextmanager
def gunicorn(database_url: str, log_path: Path, *, workers: int = 2, **settings: str) -> Iterator[str]:
    """The app served by gunicorn on 127.0.0.1 (workers of four threads each), until the block ends."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "SEND_READY_ENV": "development",
        "PUBLIC_BASE_URL": base_url,
        "RATELIMIT_ENABLED": "false",
        "TWO_STEP_REQUIRED_FOR_LEADERS": "false",
    }
    for inherited in ("REDIS_URL", "MAIL_SERVER", "FLASK_DEBUG", "TRUSTED_PROXIES"):
        env.pop(inherited, None)
    env.update(settings)
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", "4", "--bind", f"127.0.0.1:{port}"]
    with live_server.running([*command, "app:create_app()"], env, base_url, log_path, name="gunicorn", wait=60):
        yield base_url


class Browser:
    """One person's browser: its cookies, and the forms it fills in."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=30)

    def post(self, path: str, data, files=None) -> requests.Response:
        return self.http.post(self.base_url + path, data=data, files=files, allow_redirects=False, timeout=30)

    @staticmethod
    def token(page: requests.Response) -> str:
        match = CSRF.search(page.text) or re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {page.url} ({page.status_code}): {page.text[:300]}"
        return match.group(1)

    @staticmethod
    def hidden(page: requests.Response, name: str) -> str:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page.text) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', page.text
        )
        assert match, f"no {name} on {page.url}"
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/sign-in")
        return self.post("/sign-in", {"email": email, "password": password, "csrf_token": self.token(page)})

    @staticmethod
    def external_cpd_form(page: requests.Response, title: str) -> list[tuple[str, str]]:
        return [
            ("csrf_token", Browser.token(page)),
            ("once_key", Browser.hidden(page, "once_key")),
            ("title", title),
            ("provider", "Faultline Borough Council"),
            ("activity_date", "14"),
            ("activity_date", "10"),
            ("activity_date", "2025"),
            ("hours", "1.5"),
            ("category", "course"),
            ("reflection", "Tested while the database was being cut off."),
        ]


@dataclass
class Tally:
    """What happened to the requests a test sent, counted as it goes (thread-safe)."""

    outcomes: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    @property
    def sent(self) -> int:
        return sum(self.outcomes.values())

    def report(self, name: str, lost: int, **more) -> str:
        figures = {"requests sent": self.sent, **dict(sorted(self.outcomes.items())), **more, "lost": lost}
        line = f"[fault test] {name}: " + ", ".join(f"{key} {value}" for key, value in figures.items())
        print(line)
        return line
