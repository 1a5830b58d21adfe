"""Where a journey's time goes: the same requests in-process, through the Flask test client, on the
benchmark's data, timed (SQL, templates, the rest) and then run under cProfile.

    .venv/bin/python -m tests.benchmark.profile_journey /school/people/ --as head@s001.bench.example.org

The runner uses `InProcess` for the slowest journey when a target is missed. In-process there
is no HTTP, no gunicorn and no competition for the two cores, so the figures are the app's own cost of
one request: the ceiling on throughput is roughly (cores / that cost).
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import io
import pstats
import re
import secrets
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import before_render_template, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.benchmark.generate_data import DEFAULT_DATABASE_URL, DEFAULT_PASSWORD, school_email, sqlalchemy_url

ROOT = Path(__file__).resolve().parents[2]


class _OwnContextClient(FlaskClient):
    # Every request in its own context, as under gunicorn (no `g` or cached user carried over).
    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@dataclass
class Breakdown:
    requests: int
    mean_ms: float
    sql_statements: float
    sql_ms: float
    template_ms: float
    cpu_ms: float = 0.0  # this process's own CPU time: less moved than the wall clock by others' work

    def describe(self) -> str:
        rest = self.mean_ms - self.sql_ms - self.template_ms
        return (
            f"in-process, one request at a time: {self.mean_ms:.2f} ms a request "
            f"over {self.requests} requests ({self.cpu_ms:.2f} ms of it this process's CPU time)\n"
            f"  SQL:       {self.sql_ms:6.2f} ms ({self.sql_statements:.1f} statements, from send to result)\n"
            f"  templates: {self.template_ms:6.2f} ms (Jinja rendering, GOV.UK Frontend macros)\n"
            f"  the rest:  {rest:6.2f} ms (round trips outside statements, rows into objects, "
            "routing, Flask-Login, the session cookie, headers)"
        )


def _shorten(text: str) -> str:
    for prefix in (
        sysconfig.get_paths()["purelib"] + "/",
        str(ROOT) + "/",
        sysconfig.get_paths()["stdlib"] + "/",
    ):
        text = text.replace(prefix, "")
    return text


def _signed_in_client(app, email: str | None, password: str) -> FlaskClient:
    client = app.test_client()
    if email is None:
        return client
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        token = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "no CSRF token on the sign-in page"
    response = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token.group(1)})
    if response.status_code != 302:
        raise SystemExit(f"Signing in as {email} failed ({response.status_code}): is the benchmark data loaded?")
    return client


class InProcess:
    """The app in this process on the benchmark's data, with a signed-in test client per account."""

    def __init__(
        self, database_url: str = DEFAULT_DATABASE_URL, password: str = DEFAULT_PASSWORD, overrides: dict | None = None
    ):
        from app import create_app
        from app.extensions import db

        self.password = password
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
                "SECRET_KEY": secrets.token_hex(32),
                "PRODUCTION": False,
                "RATELIMIT_ENABLED": False,
                "TWO_STEP_REQUIRED_FOR_LEADERS": False,  # as in the benchmark's server
                **(overrides or {}),
            }
        )
        self.app.test_client_class = _OwnContextClient
        with self.app.app_context():
            self.engine = db.engine
        self._clients: dict[str | None, FlaskClient] = {}

    def client(self, email: str | None) -> FlaskClient:
        if email not in self._clients:
            self._clients[email] = _signed_in_client(self.app, email, self.password)
        return self._clients[email]

    def _warm(self, path: str, email: str | None) -> FlaskClient:
        client = self.client(email)
        for _ in range(20):  # the template cache and the connection pool
            status = client.get(path).status_code
            assert status == 200, f"GET {path} answered {status} in-process"
        return client

    def breakdown(self, path: str, email: str | None, requests: int = 200) -> Breakdown:
        """Time `requests` GETs of `path`, splitting out the time in SQL and in templates."""
        client = self._warm(path, email)
        sql = {"count": 0, "seconds": 0.0}
        templates: dict[str, Any] = {"seconds": 0.0, "started": []}

        def before_cursor(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        def after_cursor(conn, cursor, statement, parameters, context, executemany):
            sql["count"] += 1
            sql["seconds"] += time.perf_counter() - conn.info["bench_started"].pop()

        # Only the outermost template of a render is timed (included and extended ones are inside it).
        def before_render(sender, template, context, **extra):
            templates["started"].append(time.perf_counter())

        def after_render(sender, template, context, **extra):
            templates["seconds"] += time.perf_counter() - templates["started"].pop()

        event.listen(self.engine, "before_cursor_execute", before_cursor)
        event.listen(self.engine, "after_cursor_execute", after_cursor)
        before_render_template.connect(before_render, self.app)
        template_rendered.connect(after_render, self.app)
        try:
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(requests):
                client.get(path)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        finally:
            event.remove(self.engine, "before_cursor_execute", before_cursor)
            event.remove(self.engine, "after_cursor_execute", after_cursor)
            before_render_template.disconnect(before_render, self.app)
            template_rendered.disconnect(after_render, self.app)
        return Breakdown(
            requests=requests,
            mean_ms=elapsed * 1000 / requests,
            sql_statements=sql["count"] / requests,
            sql_ms=sql["seconds"] * 1000 / requests,
            template_ms=templates["seconds"] * 1000 / requests,
            cpu_ms=cpu * 1000 / requests,
        )

    def least(self, path: str, email: str | None, requests: int = 200, rounds: int = 1) -> Breakdown:
        """The quickest of `rounds` breakdowns: on a machine others share, the round least disturbed
        is the nearest to the page's own cost."""
        return min((self.breakdown(path, email, requests) for _ in range(rounds)), key=lambda b: b.mean_ms)

    def profile(self, path: str, email: str | None, requests: int = 200, top: int = 15, rounds: int = 1) -> str:
        """The breakdown, then the same requests under cProfile: the top functions by their own time."""
        breakdown = self.least(path, email, requests, rounds)
        client = self.client(email)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        listing = _shorten(out.getvalue().strip())
        return (
            f"GET {path} as {email or 'anonymous'}\n{breakdown.describe()}\n\n"
            f"cProfile, {requests} requests, the top {top} functions by their own time:\n{listing}"
        )

    def cold_and_warm(self, path: str, email: str | None, *, changes: int = 10, requests: int = 50) -> dict:
        """An organisation's view three ways, in ms a request: warm (every school's figures kept), the
        first request after a change at one school (that school worked out again), and the first after
        a new day or a deploy (every school worked out again); with the health check beside them."""
        import random

        from sqlalchemy import select, update

        from app.extensions import db
        from app.models import School
        from app.models.schools import new_training_revision

        client = self._warm(path, email)
        with self.app.app_context():
            school_ids = list(db.session.scalars(select(School.id)))

        def one(prepare=None) -> tuple[float, float]:
            if prepare is not None:
                prepare()
            started, cpu_started = time.perf_counter(), time.process_time()
            status = client.get(path).status_code
            assert status == 200, f"GET {path} answered {status}"
            return (time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000

        def mean(figures: list[tuple[float, float]], which: int) -> float:
            return sum(figure[which] for figure in figures) / len(figures)

        def change_one_school() -> None:
            # What any write does to the school (app/leadership/revisions.py), from another node or worker.
            with self.app.app_context():
                db.session.execute(
                    update(School)
                    .where(School.id == random.choice(school_ids))
                    .values(training_revision=new_training_revision())
                )
                db.session.commit()

        def forget_everything() -> None:
            self.app.extensions.pop("training_snapshots", None)
            self.app.extensions.pop("organisation_figures", None)

        warm = [one() for _ in range(requests)]
        after_change = [one(change_one_school) for _ in range(changes)]
        all_cold = [one(forget_everything) for _ in range(3)]
        health = self.breakdown("/healthz", None, requests=200).mean_ms
        # The wall clock, and this process's own CPU time (the database's is in the wall clock only).
        return {
            "warm_ms": mean(warm, 0),
            "after_a_change_ms": mean(after_change, 0),
            "every_school_cold_ms": mean(all_cold, 0),
            "warm_cpu_ms": mean(warm, 1),
            "after_a_change_cpu_ms": mean(after_change, 1),
            "every_school_cold_cpu_ms": mean(all_cold, 1),
            "health_check_ms": health,
            "schools": len(school_ids),
        }

    def close(self) -> None:
        self.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile one page in-process on the benchmark data.")
    parser.add_argument("path", help="for example /school/people/")
    parser.add_argument("--as", dest="email", default=school_email("head", 1), help="sign in as (or 'anonymous')")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--rounds", type=int, default=1, help="time this many rounds and report the quickest (1)")
    parser.add_argument(
        "--pool-pre-ping",
        action="store_true",
        help="ping the database on every checkout, as before pool_recycle replaced it (to compare)",
    )
    parser.add_argument(
        "--reads-in-transaction",
        action="store_true",
        help="run reading pages inside a transaction (BEGIN and ROLLBACK), as before (to compare)",
    )
    args = parser.parse_args(argv)
    overrides: dict = {}
    if args.pool_pre_ping:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    if args.reads_in_transaction:
        overrides["READ_PAGES_WITHOUT_TRANSACTION"] = False
    in_process = InProcess(args.database_url, args.password, overrides or None)
    email = None if args.email == "anonymous" else args.email
    print(in_process.profile(args.path, email, requests=args.requests, top=args.top, rounds=args.rounds))
    in_process.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
