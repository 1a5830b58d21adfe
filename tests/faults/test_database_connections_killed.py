"""PostgreSQL's connections killed while requests are in flight, as a restart or a failover does.

gunicorn serves the app on a database of the test's own; people add CPD (half of it with an evidence
file) as fast as they can while every connection to that database is killed again and again with
`pg_terminate_backend`. Each request must either succeed or fail cleanly with the 503 page, nothing
acknowledged may be missing afterwards, nothing may be half written, and once the killing stops every
request succeeds again without the app being restarted.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import EvidenceFile, LedgerEntry
from app.records.ledger import verify_person
from tests.conftest import TEST_SETTINGS
from tests.faults.live import PDF, Browser, Tally, build_and_seed, database_of_its_own, gunicorn, terminate_connections

PEOPLE = 6
KILLING_FOR = 8.0  # seconds
KILL_EVERY = 0.4  # seconds
AFTERWARDS = 3  # entries each person adds once the killing has stopped


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("database-killed")
    evidence_dir = folder / "evidence"
    with database_of_its_own("killed") as database_url:
        app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, "EVIDENCE_DIR": str(evidence_dir)})
        seeded = build_and_seed(app, PEOPLE)
        with gunicorn(database_url, folder / "gunicorn.log", EVIDENCE_DIR=str(evidence_dir)) as base_url:
            yield base_url, app, seeded, database_url, evidence_dir, folder / "gunicorn.log"
        with app.app_context():
            db.engine.dispose()


def add_cpd(browser: Browser, title: str, with_evidence: bool) -> str:
    """Fill in the add-CPD form once; "acknowledged", "failed cleanly" (a 503 page) or what went wrong."""
    page = browser.get("/cpd/external/new")
    if page.status_code == 503:
        assert "Sorry, the service is unavailable" in page.text
        return "failed cleanly"
    assert page.status_code == 200, f"the form: {page.status_code} {page.text[:300]}"
    files = {"evidence": ("certificate.pdf", PDF, "application/pdf")} if with_evidence else None
    response = browser.post("/cpd/external/new", Browser.external_cpd_form(page, title), files=files)
    if response.status_code == 302 and response.headers["Location"].endswith("/cpd/"):
        return "acknowledged"
    if response.status_code == 503:
        assert "Sorry, the service is unavailable" in response.text and "was not saved" in response.text
        assert response.headers.get("Retry-After")
        return "failed cleanly"
    return f"unexpected {response.status_code}"


def test_connections_killed_mid_request_lose_nothing_acknowledged_and_the_app_recovers(served):
    base_url, app, seeded, database_url, evidence_dir, log_path = served
    browsers = {}
    for email in seeded.teacher_emails:
        browsers[email] = Browser(base_url)
        assert browsers[email].sign_in(email).status_code == 302
    tally = Tally()
    acknowledged: dict[str, list[str]] = {email: [] for email in browsers}
    unacknowledged: dict[str, list[str]] = {email: [] for email in browsers}
    stop = threading.Event()
    kills = []

    def person(email: str) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            title = f"Course {number} of {email}"
            try:
                outcome = add_cpd(browsers[email], title, with_evidence=number % 2 == 0)
            except Exception as problem:  # counted, and the test fails on it below
                outcome = f"unexpected: {problem}"[:300]
            tally.count(outcome)
            (acknowledged if outcome == "acknowledged" else unacknowledged)[email].append(title)

    def killer() -> None:
        deadline = time.monotonic() + KILLING_FOR
        while time.monotonic() < deadline:
            time.sleep(KILL_EVERY)
            kills.append(terminate_connections(database_url))
        stop.set()

    threads = [threading.Thread(target=person, args=(email,)) for email in browsers]
    threads.append(threading.Thread(target=killer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    # Once more while the site is quiet, as a restart at night would: every pooled connection is dead.
    time.sleep(0.5)
    quiet_kill = terminate_connections(database_url)
    # The app recovers by itself: with the database back to normal, every request succeeds, the first
    # ones on each worker's dead pooled connections included.
    recovery = Tally()
    for email, browser in browsers.items():
        for number in range(AFTERWARDS):
            title = f"Afterwards {number} of {email}"
            outcome = add_cpd(browser, title, with_evidence=True)
            recovery.count(outcome)
            if outcome == "acknowledged":
                acknowledged[email].append(title)

    lost = saved_though_refused = 0
    with app.app_context():
        db.engine.dispose()  # this process's own connections were killed too
        for email, user_id in seeded.teacher_ids.items():
            entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user_id)).all()
            titles = [entry.payload.get("title") for entry in entries]
            for title in acknowledged[email]:
                assert titles.count(title) <= 1, f"{title!r} was recorded twice"
                lost += titles.count(title) == 0
            for title in unacknowledged[email]:
                assert titles.count(title) <= 1, f"{title!r} was recorded twice"
                saved_though_refused += titles.count(title)
            # Nothing half written: the chain holds, and every file an entry names is there and matches.
            assert verify_person(user_id) is None
            for entry in entries:
                reference = entry.payload.get("evidence")
                if reference:
                    evidence = db.session.get(EvidenceFile, reference["file_id"])
                    assert evidence is not None, f"ledger entry {entry.id} names a file with no row"
                    assert (Path(evidence_dir) / evidence.storage_path).is_file(), f"entry {entry.id}'s file is gone"
        stored_paths = {row.storage_path for row in db.session.scalars(select(EvidenceFile))}
        db.session.remove()
    files_without_a_row = [
        path for path in Path(evidence_dir).rglob("*.pdf") if str(path.relative_to(evidence_dir)) not in stored_paths
    ]

    log = log_path.read_text()
    tally.report(
        "PostgreSQL connections killed mid-request",
        lost,
        **{
            "times killed": len(kills) + 1,
            "connections killed": sum(kills) + quiet_kill,
            "refused but saved (a retry would not duplicate)": saved_though_refused,
            "files left without a row": len(files_without_a_row),
        },
    )
    recovery.report("  then, with the database back", 0)
    assert sum(kills) > 0, "no connection was ever killed: the test proved nothing"
    assert tally.outcomes["failed cleanly"] > 0, "no request was caught by a kill: the test proved nothing"
    assert tally.outcomes["acknowledged"] > 0
    assert set(tally.outcomes) <= {"acknowledged", "failed cleanly"}, tally.outcomes
    assert lost == 0
    assert recovery.outcomes == {"acknowledged": PEOPLE * AFTERWARDS}, recovery.outcomes
    assert "Database unavailable, reference" in log
    assert "Server error, reference" not in log, "a request failed with a 500, not the 503 page"
    assert "Error handling request" not in log, "an error escaped the app: gunicorn answered 500"
