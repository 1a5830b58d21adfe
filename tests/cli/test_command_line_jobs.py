"""The scheduled jobs and the staff import, run as they are in production: `flask` in a process of its
own, with no request around it (the other tests run inside one, which hid that they could not build
the links in their email)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
PUBLIC_BASE_URL = "https://send-ready.example.org/schools"


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603  (our own virtualenv's flask, fixed arguments)
        [str(FLASK), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"`flask {' '.join(args)}` failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def demo_site(tmp_path) -> tuple[dict[str, str], Path]:
    database = tmp_path / "jobs.sqlite3"
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": f"sqlite:///{database}",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "DEMO_PASSWORD": "jobs-walnut-harbour-lantern",
    }
    for inherited in ("MAIL_SERVER", "REDIS_URL", "SEND_READY_ENV"):
        env.pop(inherited, None)
    run(["db", "upgrade"], env)
    run(["demo"], env)
    return env, database


def test_reminders_run_from_the_command_line_with_links_to_the_public_site(demo_site):
    env, database = demo_site
    first = run(["send-reminders"], env)
    assert "Reminders queued: 0;" not in first, first
    again = run(["send-reminders"], env)
    assert "Reminders queued: 0; weekly digests: 0;" in again
    with sqlite3.connect(database) as connection:
        bodies = [
            body
            for (body,) in connection.execute(
                "SELECT body_text FROM outbox_message WHERE kind IN ('training_reminder', 'weekly_digest')"
            )
        ]
    assert bodies
    assert all(f"{PUBLIC_BASE_URL}/" in body for body in bodies)
    assert any(f"{PUBLIC_BASE_URL}/leaders/staff-training" in body for body in bodies)


def test_the_staff_import_invites_from_the_command_line(demo_site, tmp_path):
    env, database = demo_site
    with sqlite3.connect(database) as connection:
        (urn,) = connection.execute("SELECT urn FROM school ORDER BY id LIMIT 1").fetchone()
    staff = tmp_path / "staff.csv"
    staff.write_text("name,email,role,start_date\nNew Person,new.person@example.org,teaching_assistant,2026-11-01\n")
    assert "1 invitations sent" in run(["import-staff", str(staff), "--school", urn], env)
    with sqlite3.connect(database) as connection:
        (body,) = connection.execute(
            "SELECT body_text FROM outbox_message WHERE to_address = 'new.person@example.org'"
        ).fetchone()
    assert f"{PUBLIC_BASE_URL}/set-password/" in body
