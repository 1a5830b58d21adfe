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


def _process_cpu_seconds(pid: int) -> float | None:
    """A process's CPU time from /proc (Linux, the database on this machine), or None."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 (one read)
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_entry(database_url: str) -> dict[str, Any] | None:
    """One full pass on one connection, with this process's CPU and its PostgreSQL backend's.

    On a machine shared with other work the wall-clock says little; the CPU each entry costs on
    both sides says what the code costs, and what two idle cores would give.
    """
    from psycopg.types.json import set_json_loads
    from sqlalchemy import create_engine, text

    from app.records import ledger_verify
    from app.records.ledger import load_json

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            set_json_loads(load_json, connection.connection.driver_connection)
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            server_before, client_before = _process_cpu_seconds(backend), _cpu_seconds()
            if server_before is None:
                return None
            job = ledger_verify._Job(url="", first=0, last=2**31 - 1, full=True, checkpointed={}, batch_size=10_000)
            chain, entries = None, 0
            for row in ledger_verify._rows(connection, job):
                entries += 1
                if chain is None or row[ledger_verify.USER_ID] != chain.user_id:
                    chain = ledger_verify._Chain(row[ledger_verify.USER_ID], None, None)
                chain.take(row)
            client = _cpu_seconds() - client_before
            server = (_process_cpu_seconds(backend) or 0) - server_before
    finally:
        engine.dispose()
    cores = os.cpu_count() or 1
    return {
        "entries": entries,
        "client_us": round(client / entries * 1e6, 2),
        "postgresql_us": round(server / entries * 1e6, 2),
        "cpu_bound_entries_per_second": round(cores * entries / (client + server)) if client + server else None,
        "cores": cores,
    }


def print_cpu(cost: dict[str, Any] | None) -> None:
    if cost is None:
        print("CPU per entry: PostgreSQL's process is not readable here (another machine?): not measured.")
        return
    print(
        f"CPU per entry, one pass on one connection: {cost['client_us']} us verifying, "
        f"{cost['postgresql_us']} us in PostgreSQL; with nothing else running, {cost['cores']} cores would "
        f"verify about {cost['cpu_bound_entries_per_second']:,} entries a second."
    )


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
    print_cpu(cpu_per_entry(args.database_url))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
