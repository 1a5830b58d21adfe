"""Benchmark data: one local authority, N schools of M staff each, and a year of CPD ledger per person.

    .venv/bin/python -m tests.benchmark.generate_data --schools 50 --staff 100

It DROPS EVERYTHING in the target database and builds the schema with the migrations (what
`flask db upgrade` runs), so it refuses any database whose name does not contain "bench".

Speed matters more than ORM niceties here: the password is hashed once (Argon2id at the production
cost is slow on purpose) and shared by every account, rows are built in Python and written with
SQLAlchemy Core in large batches, and ids are given up front so nothing waits for RETURNING. The
ledger rows are hashed with the ledger's own `compute_hash`, so every chain is a real chain; a sample
of people then get one more entry through `append_entry` (the code path the app uses) and a sample of
chains is verified with `verify_person`.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, insert, make_url, text

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bench"
# Every generated account shares this password; the database is a throwaway benchmark copy.
DEFAULT_PASSWORD = "bench-walnut-harbour-lantern-42"
EMAIL_DOMAIN = "bench.example.org"
OFFICER_EMAIL = f"officer@{EMAIL_DOMAIN}"
ORGANISATION_NAME = "Bench Borough Council"
BATCH_SIZE = 10_000

FIRST_NAMES = (  # noqa: SIM905 (a list of words reads best as words)
    "Amara Ben Chloe Dev Ellen Farid Grace Hana Isaac Jo Kwame Leila Marek Nadia Olu Priya Quinn "
    "Rosa Sam Tariq Una Vikram Wen Xavier Yusuf Zara Aled Bronwen Ciaran Dilys Efe Fiona Gethin "
    "Hamza Imogen"
).split()
SURNAMES = (  # noqa: SIM905 (a list of words reads best as words)
    "Adams Begum Clarke Davies Evans Fraser Green Hughes Iqbal Jones Khan Lewis Morgan Nowak Owen "
    "Patel Quayle Roberts Smith Taylor Usman Vaughan Walker Young Zielinski Ahmed Brown Campbell "
    "Edwards Hall"
).split()
PLACE_NAMES = (  # noqa: SIM905 (a list of words reads best as words)
    "Oakfield Riverside Ashgrove Beacon Hillside Meadow Kingsway Elmhurst Larkspur Northgate "
    "Westbrook Fairview Millbrook Greenacre Highfield Brookside Churchill Hawthorn Parkside "
    "Woodlands"
).split()
EXTERNAL_COURSES = [
    "Autism awareness (local authority course)",
    "Speech, language and communication needs twilight",
    "Team Teach refresher",
    "Precision teaching workshop",
    "Attachment and trauma-informed practice",
    "ADHD in the classroom",
]


def school_email(key: str, school_number: int) -> str:
    """The address of a generated person: `school_email("head", 1)` is the head of the first school."""
    return f"{key}@s{school_number:03d}.{EMAIL_DOMAIN}"


def staff_plan(staff: int) -> list[tuple[str, list[str]]]:
    """The people of one school as (email key, role values): mostly TAs and teachers, one head,
    one or two SENCOs, a few governors (one of them the SEND governor) and one administrator."""
    if staff < 6:
        raise ValueError("a school needs at least 6 staff for the benchmark's mix of roles")
    plan: list[tuple[str, list[str]]] = [
        ("head", ["headteacher"]),
        # Most SENCOs teach too: two roles at one school.
        ("senco1", ["senco", "teacher"]),
    ]
    if staff >= 60:
        plan.append(("senco2", ["senco"]))
    plan.append(("admin", ["school_admin"]))
    governors = max(2, round(staff * 0.05))
    plan.append(("send-governor", ["send_governor", "governor"]))
    plan += [(f"governor{n}", ["governor"]) for n in range(1, governors)]
    remaining = staff - len(plan)
    assistants = math.ceil(remaining * 0.55)
    plan += [(f"ta{n}", ["teaching_assistant"]) for n in range(1, assistants + 1)]
    plan += [(f"teacher{n}", ["teacher"]) for n in range(1, remaining - assistants + 1)]
    return plan


@dataclass
class Rows:
    organisations: list[dict[str, Any]] = field(default_factory=list)
    schools: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    # The progress projection (one row per person and module), where the schema has one.
    progress: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Module:
    id: str
    version: str
    minutes: int
    title: str
    pages: tuple[str, ...]


def load_modules(catalogue: Any = None) -> tuple[dict[str, Module], dict[str, list[str]]]:
    """The real modules (id, version, pages) and the modules each role's pathway names.

    From the app's loaded catalogue when it has one, so that versions and page slugs are the ones
    the app will compare against; otherwise read from modules/ with a hash of module.yaml as version.
    """
    if catalogue is not None:
        modules = {
            m.id: Module(m.id, m.version, m.minutes, m.title, tuple(m.page_slugs)) for m in catalogue.modules.values()
        }
        pathways = {role: [*p.required, *p.optional] for role, p in catalogue.pathways.items()}
        return modules, pathways
    modules = {}
    for path in sorted((ROOT / "modules").glob("*/module.yaml")):
        data = yaml.safe_load(path.read_text())
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        slugs = tuple(page["slug"] for page in data.get("pages", []))
        modules[data["id"]] = Module(data["id"], version, int(data.get("minutes", 30)), data["title"], slugs)
    pathways: dict[str, list[str]] = {}
    for pathway in yaml.safe_load((ROOT / "modules" / "pathways.yaml").read_text())["pathways"]:
        names = [*pathway.get("required", []), *pathway.get("optional", [])]
        pathways[pathway["role"]] = [name for name in names if name in modules]
    return modules, pathways


def person_history(
    rng: random.Random,
    *,
    user_id: int,
    school_id: int,
    roles: list[str],
    count: int,
    until: datetime,
    modules: dict[str, Module],
    pathways: dict[str, list[str]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A year of one person's ledger entries, chained and hashed exactly as the ledger does it, and
    the progress rows that agree with them (each completed module read to the end, and the next
    module of the pathway, if any, part-read)."""
    from app.records.ledger import EntryKind, compute_hash

    wanted: list[str] = []
    for role in roles:
        wanted += [module for module in pathways.get(role, []) if module not in wanted]
    events: list[tuple[EntryKind, str | None, str | None, dict[str, Any], str | None]] = []
    for module_id in wanted:
        module = modules[module_id]
        attempts = rng.choice((1, 1, 1, 2))
        for attempt in range(1, attempts + 1):
            passed = attempt == attempts
            score = rng.randint(8, 10) if passed else rng.randint(4, 7)
            events.append(
                (
                    EntryKind.QUIZ_ATTEMPTED,
                    module.id,
                    module.version,
                    {"score": score, "out_of": 10, "passed": passed, "attempt": attempt},
                    f"quiz_attempted:{module.id}:{module.version}:{attempt}",
                )
            )
        # The payload and dedupe key that app.learning.module_progress.record_module_completion writes.
        events.append(
            (
                EntryKind.MODULE_COMPLETED,
                module.id,
                module.version,
                {"minutes": module.minutes, "title": module.title},
                f"module_completed:{module.id}:{module.version}",
            )
        )
    if {"headteacher", "senco", "governor", "send_governor"} & set(roles):
        events.append(
            (
                EntryKind.SELF_ASSESSMENT_SUBMITTED,
                "key-questions",
                None,
                {"answered": rng.randint(8, 14), "round": "autumn"},
                None,
            )
        )
    while len(events) < count:
        events.append(
            (
                EntryKind.EXTERNAL_CPD_RECORDED,
                None,
                None,
                {"title": rng.choice(EXTERNAL_COURSES), "minutes": rng.choice((30, 60, 90, 180, 360))},
                None,
            )
        )
    events = events[:count]
    year_ago = until - timedelta(days=365)
    moments = sorted(year_ago + timedelta(seconds=rng.randint(0, 365 * 86400 - 1)) for _ in events)
    rows = []
    progress = []
    previous_hash = None
    for sequence, ((kind, subject_id, version, payload, dedupe_key), moment) in enumerate(
        zip(events, moments, strict=True), start=1
    ):
        occurred_at = moment.replace(microsecond=rng.randint(0, 999_999))
        if kind is EntryKind.MODULE_COMPLETED:
            module = modules[subject_id]
            progress.append(
                {
                    "user_id": user_id,
                    "module_id": module.id,
                    "reading_version": module.version,
                    "pages_read": list(module.pages),
                    "last_page_slug": module.pages[-1] if module.pages else None,
                    "started_at": occurred_at - timedelta(days=rng.randint(1, 20)),
                    "updated_at": occurred_at,
                    "completed_at": occurred_at,
                    "completed_version": module.version,
                }
            )
        fields = {
            "user_id": user_id,
            "sequence": sequence,
            "school_id": school_id,
            "kind": kind.value,
            "subject_id": subject_id,
            "subject_version": version,
            "payload": payload,
            "occurred_at": occurred_at,
            "recorded_at": occurred_at + timedelta(seconds=rng.randint(1, 600)),
            "recorded_by_id": user_id if kind is EntryKind.MODULE_COMPLETED else None,
            "previous_hash": previous_hash,
            "dedupe_key": dedupe_key,
        }
        fields["entry_hash"] = previous_hash = compute_hash(fields)
        rows.append(fields)
    done = {row["module_id"] for row in progress}
    reading = next((modules[m] for m in wanted if m not in done and modules[m].pages), None)
    if reading is not None and rng.random() < 0.5:
        read = reading.pages[: rng.randint(1, len(reading.pages))]
        when = until - timedelta(days=rng.randint(0, 30))
        progress.append(
            {
                "user_id": user_id,
                "module_id": reading.id,
                "reading_version": reading.version,
                "pages_read": list(read),
                "last_page_slug": read[-1],
                "started_at": when - timedelta(days=1),
                "updated_at": when,
                "completed_at": None,
                "completed_version": None,
            }
        )
    return rows, progress


def build_rows(
    *,
    schools: int,
    staff: int,
    entries: int,
    password_hash: str,
    seed: int,
    today: date,
    catalogue: Any = None,
    large_school: int | None = None,
) -> tuple[Rows, list[int]]:
    """Every row to insert, plus the ids of the people given one more entry through append_entry."""
    rng = random.Random(seed)
    modules, pathways = load_modules(catalogue)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    rows = Rows()
    rows.organisations.append({"id": 1, "name": ORGANISATION_NAME, "kind": "local_authority", "created_at": now})
    next_user = next_membership = 1
    sample: list[int] = []
    plan = staff_plan(staff)
    leavers = max(1, round(staff * 0.03))

    def add_person(email: str, *, active_password: bool) -> int:
        nonlocal next_user
        user_id = next_user
        next_user += 1
        rows.users.append(
            {
                "id": user_id,
                "email": email,
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                "password_hash": password_hash if active_password else None,
                "active": True,
                "session_token": hashlib.sha256(f"{seed}:{user_id}".encode()).hexdigest()[:32],
                "created_at": now - timedelta(days=400),
                "last_signed_in_at": now - timedelta(days=rng.randint(0, 60)) if active_password else None,
            }
        )
        return user_id

    def add_membership(user_id: int, school_id: int | None, role: str, started: date, ended: date | None):
        nonlocal next_membership
        rows.memberships.append(
            {
                "id": next_membership,
                "user_id": user_id,
                "school_id": school_id,
                "organisation_id": None if school_id else 1,
                "role": role,
                "started_on": started,
                "ended_on": ended,
                "created_at": now,
                "invited_by_id": None,
            }
        )
        next_membership += 1

    for number in range(1, schools + 1):
        school_id = number
        rows.schools.append(
            {
                "id": school_id,
                "urn": f"{700000 + number}",
                "name": f"{PLACE_NAMES[(number - 1) % len(PLACE_NAMES)]} "
                f"{'Primary School' if number % 3 else 'Academy'} {number}",
                "phase": "primary" if number % 3 else "secondary",
                "organisation_id": 1,
                "created_at": now,
            }
        )
        # The first school can be a large one (a school of 300, say), for the leaders' dashboard at scale.
        school_plan, school_leavers = plan, leavers
        if large_school and number == 1:
            school_plan, school_leavers = staff_plan(large_school), max(1, round(large_school * 0.03))
        people = [(key, roles, None) for key, roles in school_plan]
        people += [
            (f"leaver{n}", ["teaching_assistant"], today - timedelta(days=30 * n)) for n in range(1, school_leavers + 1)
        ]
        for key, roles, ended in people:
            # A few TAs and teachers have been invited but not yet chosen a password (never ta1 or
            # teacher1, whom the benchmark signs in as).
            pending = key.startswith(("ta", "teacher")) and key not in ("ta1", "teacher1") and rng.random() < 0.03
            user_id = add_person(school_email(key, number), active_password=not pending)
            started = (ended or today) - timedelta(days=rng.randint(60, 3000))
            for role in roles:
                add_membership(user_id, school_id, role, started, ended)
            if not pending:
                count = max(1, round(rng.gauss(entries, entries / 4)))
                until = datetime.combine(ended, datetime.min.time(), UTC) if ended else now
                ledger, progress = person_history(
                    rng,
                    user_id=user_id,
                    school_id=school_id,
                    roles=roles,
                    count=count,
                    until=until,
                    modules=modules,
                    pathways=pathways,
                )
                rows.ledger += ledger
                rows.progress += progress
            if key == "head":
                sample.append(user_id)
    officer = add_person(OFFICER_EMAIL, active_password=True)
    add_membership(officer, None, "la_officer", today - timedelta(days=900), None)
    return rows, sample


def quiz_module_id(catalogue: Any) -> str | None:
    """The module whose quiz the benchmark opens: the first on the TA pathway that has a quiz."""
    quizzes = getattr(catalogue, "quizzes", None) or {}
    pathway = catalogue.pathways.get("teaching_assistant") if catalogue is not None else None
    candidates = [*(pathway.required if pathway else ()), *quizzes]
    return next((module_id for module_id in candidates if module_id in quizzes), None)


def start_sample_quiz_attempts(app, emails: list[str]) -> int:
    """A quiz attempt in progress for each of these people, started by the app's own quiz service
    (when the app has quizzes), so that the benchmark has a quiz question page to open."""
    from app.people import accounts

    catalogue = app.extensions.get("catalogue")
    module_id = quiz_module_id(catalogue)
    if module_id is None:
        return 0
    from app.quizzes import attempts

    started = 0
    for email in emails:
        user = accounts.find_user_by_email(email)
        if user is None or not user.memberships:
            continue
        attempts.start_or_resume(
            catalogue=catalogue,
            user_id=user.id,
            school_id=user.memberships[0].school_id,
            module=catalogue.modules[module_id],
            rng=random.Random(user.id),
        )
        started += 1
    return started


def _insert(connection, table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH_SIZE):
        connection.execute(insert(table), rows[start : start + BATCH_SIZE])


def check_bench_database(url: str) -> None:
    database = make_url(url).database or ""
    if make_url(url).get_backend_name() != "postgresql" or "bench" not in database:
        raise SystemExit(
            f"Refusing to use {database!r}: the generator drops everything in its database, so it only "
            "runs on a PostgreSQL database whose name contains 'bench'."
        )


def ensure_database(url: str) -> None:
    """Create the benchmark database if the server does not have it yet."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        ).first()
        if not exists:
            print(f"Creating the database {target.database!r}")
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def generate(
    *,
    database_url: str,
    schools: int,
    staff: int,
    entries: int,
    password: str,
    seed: int = 1,
    verify_sample: int = 200,
    large_school: int | None = None,
) -> dict[str, Any]:
    """Rebuild the benchmark database from nothing and fill it. Returns counts and timings."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import LedgerEntry, Membership, Organisation, School, User
    from app.people.passwords import hash_password
    from app.records.ledger import EntryKind, append_entry, verify_person

    check_bench_database(database_url)
    ensure_database(database_url)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # The production Argon2id cost (the app's defaults), so that signing in costs what it really does.
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url), "PRODUCTION": False})
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.session.remove()
        timings["schema (migrations)"] = time.perf_counter() - started

        mark = time.perf_counter()
        password_hash = hash_password(password)
        timings["password hash (once)"] = time.perf_counter() - mark

        mark = time.perf_counter()
        rows, sample = build_rows(
            schools=schools,
            staff=staff,
            entries=entries,
            password_hash=password_hash,
            seed=seed,
            today=date.today(),
            catalogue=app.extensions.get("catalogue"),
            large_school=large_school,
        )
        timings["build rows and hashes"] = time.perf_counter() - mark

        mark = time.perf_counter()
        with db.engine.begin() as connection:
            _insert(connection, Organisation.__table__, rows.organisations)
            _insert(connection, School.__table__, rows.schools)
            _insert(connection, User.__table__, rows.users)
            _insert(connection, Membership.__table__, rows.memberships)
            _insert(connection, LedgerEntry.__table__, rows.ledger)
            progress_table = db.metadata.tables.get("module_progress")
            if progress_table is not None:
                _insert(connection, progress_table, rows.progress)
            # Ids were given explicitly: move each sequence past them so the app's own inserts work.
            for table in ("organisation", "school", "user_account", "membership", "ledger_entry"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
        timings["bulk insert"] = time.perf_counter() - mark

        # The bulk rows bypassed the session, whose commit keeps the requirement projection: build it
        # as the migration does for an existing database.
        mark = time.perf_counter()
        from app.leadership.progress_projection import rebuild

        rebuild(db.session, app.extensions["catalogue"], everyone=True)
        db.session.commit()
        timings["requirement projection"] = time.perf_counter() - mark

        # One more entry for each sampled person through the app's own append_entry, which must
        # find and continue the chain the bulk rows started.
        mark = time.perf_counter()
        school_of = {m["user_id"]: m["school_id"] for m in rows.memberships}
        for user_id in sample:
            append_entry(
                user_id=user_id,
                kind=EntryKind.EXTERNAL_CPD_RECORDED,
                school_id=school_of[user_id],
                payload={"title": "Governors' SEND briefing", "minutes": 60},
            )
        quiz_attempts = start_sample_quiz_attempts(app, [school_email("ta1", n) for n in range(1, schools + 1)])
        db.session.commit()
        rng = random.Random(seed + 1)
        people_with_history = sorted({row["user_id"] for row in rows.ledger})
        to_verify = set(sample) | set(rng.sample(people_with_history, min(verify_sample, len(people_with_history))))
        broken = [link for user_id in sorted(to_verify) if (link := verify_person(user_id)) is not None]
        db.session.remove()
        timings["append_entry sample and verify"] = time.perf_counter() - mark
        if broken:
            raise SystemExit("Generated ledger chains do not verify: " + "; ".join(b.describe() for b in broken[:5]))

        mark = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        timings["analyze"] = time.perf_counter() - mark
        db.engine.dispose()
    timings["total"] = time.perf_counter() - started
    return {
        "schools": schools,
        "staff_per_school": staff,
        "people": len(rows.users),
        "memberships": len(rows.memberships),
        "ledger_entries": len(rows.ledger) + len(sample),
        "progress_rows": len(rows.progress) if "module_progress" in db.metadata.tables else 0,
        "chains_verified": len(to_verify),
        "quiz_attempts": quiz_attempts,
        "timings": timings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=50, help="schools in the local authority (50)")
    parser.add_argument("--staff", type=int, default=100, help="current staff and governors per school (100)")
    parser.add_argument("--entries", type=int, default=24, help="mean ledger entries per person over the year (24)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=f"({DEFAULT_DATABASE_URL})")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the password every account shares")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--large-school", type=int, default=300, help="staff at the first school, a large one (300; 0 for none)"
    )
    args = parser.parse_args(argv)
    print(f"Generating {args.schools} schools x {args.staff} staff into {make_url(args.database_url)!r}")
    summary = generate(
        database_url=args.database_url,
        schools=args.schools,
        staff=args.staff,
        entries=args.entries,
        password=args.password,
        seed=args.seed,
        large_school=args.large_school or None,
    )
    print(
        f"{summary['people']} people, {summary['memberships']} memberships, "
        f"{summary['ledger_entries']} ledger entries ({summary['chains_verified']} chains verified), "
        f"{summary['progress_rows']} progress rows, {summary['quiz_attempts']} quiz attempts in progress"
    )
    for step, seconds in summary["timings"].items():
        print(f"  {step:<34} {seconds:7.2f} s")
    print(f"Sign in as {school_email('head', 1)} (or any generated account) with the password {args.password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
