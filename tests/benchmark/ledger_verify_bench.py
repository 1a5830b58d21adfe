"""How fast `flask ledger verify` runs on the benchmark's ledger: a full run, then the nightly
incremental run after a day's new entries, then an incremental run with nothing new.

    .venv/bin/python -m tests.benchmark.ledger_verify_bench --database-url postgresql://postgres@127.0.0.1/bench

`make bench` runs it after the pages (the section "ledger verify"). The new entries are appended with
the app's own `append_entry`, so they are real links in real chains. The figures are wall-clock, with
the CPU time of this process and its worker processes beside them: on a machine shared with other work,
the CPU figures say more about the code than the wall-clock does.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from typing import Any

from tests.benchmark.generate_data import DEFAULT_DATABASE_URL, check_bench_database, sqlalchemy_url

TARGET_ENTRIES_PER_SECOND = 50_000


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(label: str, run) -> dict[str, Any]:
    cpu, wall = _cpu_seconds(), time.perf_counter()
    result = run()
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    if result.broken:
        raise SystemExit(f"The benchmark ledger did not verify: {result.broken[0].describe()}")
    return {
        "run": label,
        "entries": result.entries,
        "chains": result.chains,
        "seconds": round(wall, 3),
        "entries_per_second": round(result.entries / wall) if wall else None,
        "client_cpu_seconds": round(cpu, 3),
    }


def measure(database_url: str, *, new_people: int = 2_000, new_each: int = 3, processes: int | None = None):
    """Full, incremental after new entries, and incremental with nothing new. Returns the rows."""
    from app import create_app
    from app.extensions import db
    from app.models import LedgerEntry
    from app.records import ledger_verify
    from app.records.ledger import EntryKind, append_entry

    url = sqlalchemy_url(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PRODUCTION": False})
    processes = processes or os.cpu_count() or 1
    rows = []
    with app.app_context():
        with db.engine.begin() as connection:
            ledger_verify.forget_progress(connection)

        def full():
            result = ledger_verify.verify_ledger(url, full=True, processes=processes)
            with db.engine.begin() as connection:
                ledger_verify.record_progress(connection, result.advanced)
            return result

        rows.append(_timed("full", full))
        people = sorted(set(db.session.scalars(db.select(LedgerEntry.user_id).distinct())))
        chosen = random.Random(7).sample(people, min(new_people, len(people)))
        for user_id in chosen:
            for number in range(new_each):
                append_entry(
                    user_id=user_id,
                    kind=EntryKind.QUIZ_ATTEMPTED,
                    subject_id=f"bench-quiz-{number}",
                    payload={"score": number, "total": 10},
                )
        db.session.commit()

        def incremental():
            result = ledger_verify.verify_ledger(url, processes=processes)
            with db.engine.begin() as connection:
                ledger_verify.record_progress(connection, result.advanced)
            return result

        rows.append(_timed(f"incremental, {len(chosen) * new_each} new entries", incremental))
        rows.append(_timed("incremental, nothing new", incremental))
        db.session.remove()
        db.engine.dispose()
    for row in rows:
        row["processes"] = processes
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"{'ledger verify':<38} {'entries':>9} {'chains':>7} {'seconds':>8} {'entries/s':>10} {'CPU s':>7}")
    for row in rows:
        print(
            f"{row['run']:<38} {row['entries']:>9} {row['chains']:>7} {row['seconds']:>8.2f} "
            f"{row['entries_per_second'] or 0:>10,} {row['client_cpu_seconds']:>7.2f}"
        )
    full = rows[0]
    verdict = "met" if (full["entries_per_second"] or 0) >= TARGET_ENTRIES_PER_SECOND else "MISSED"
    print(
        f"Target {TARGET_ENTRIES_PER_SECOND:,} entries a second for a full run with {full['processes']} processes: "
        f"{verdict} (reported only). CPU s: this process and its workers, not PostgreSQL's."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `flask ledger verify` on the benchmark database.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--processes", type=int, help="worker processes (default: one a core)")
    parser.add_argument("--new-people", type=int, default=2_000, help="people given new entries (2000)")
    parser.add_argument("--new-each", type=int, default=3, help="new entries each (3)")
    args = parser.parse_args(argv)
    check_bench_database(args.database_url)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = measure(args.database_url, new_people=args.new_people, new_each=args.new_each, processes=args.processes)
    print_rows(rows)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
