"""The restore drill of docs/operations.md, run for real: dump with pg_dump -Fc, restore with pg_restore
into a fresh database, and `flask ledger verify` passes there against the last signed checkpoint."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db
from app.models import Role
from app.records import checkpoints, ledger
from app.records.ledger import EntryKind
from tests.conftest import TEST_SETTINGS

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgresql_only(on_postgresql):
    if not on_postgresql:
        pytest.skip("backup and restore use pg_dump and pg_restore: run with --database=postgresql")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed (Debian: postgresql-client)")


def libpq_url(url) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_database(app):
    """An empty database beside the test's own, dropped afterwards."""
    url = db.engine.url.set(database=f"{db.engine.url.database}_restored")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))

    drop()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    yield url
    drop()
    admin.dispose()


def dump(path) -> None:
    subprocess.run(  # noqa: S603 (our own database's URL and a temporary path)
        [shutil.which("pg_dump"), "--format=custom", "--file", str(path), libpq_url(db.engine.url)],
        check=True,
        capture_output=True,
        timeout=120,
    )


def restore(path, url) -> None:
    subprocess.run(  # noqa: S603 (our own database's URL and a temporary path)
        [shutil.which("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", libpq_url(url), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )


def append(user_id, school_id, count, start=0):
    for number in range(start, start + count):
        ledger.append_entry(
            user_id=user_id,
            school_id=school_id,
            kind=EntryKind.MODULE_COMPLETED,
            subject_id=f"module-{number}",
            payload={"minutes": 20},
            occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
    db.session.commit()


@pytest.fixture
def signed_ledger(app, tmp_path, monkeypatch, make_school, make_person):
    key_path, _ = checkpoints.generate_key_files(tmp_path / "signing.pem")
    settings = {"LEDGER_SIGNING_KEY_FILE": str(key_path), "LEDGER_CHECKPOINT_DIR": str(tmp_path / "checkpoints")}
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    school = make_school()
    people = [make_person(school, Role.TEACHER) for _ in range(4)]
    db.session.commit()
    for number, person in enumerate(people):
        append(person.id, school.id, 2 + number)
    return settings, school, people


def verify_on(url, settings):
    """`flask ledger verify --full` run by an app pointed at the restored database."""
    restored = create_app({**TEST_SETTINGS, **settings, "SQLALCHEMY_DATABASE_URI": url.render_as_string(False)})
    # The command runs in whichever app is current: this one, not the test's.
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["ledger", "verify", "--full"])
        db.engine.dispose()
    return result


def test_a_restored_dump_verifies_against_the_last_checkpoint(
    app, postgresql_only, signed_ledger, fresh_database, tmp_path
):
    settings, school, people = signed_ledger
    assert app.test_cli_runner().invoke(args=["ledger", "checkpoint", "--no-email"]).exit_code == 0
    dump(tmp_path / "send-ready.dump")
    # Work done after the dump is not in it; the checkpoint does not hold it either.
    append(people[0].id, school.id, 3, start=10)

    restore(tmp_path / "send-ready.dump", fresh_database)
    result = verify_on(fresh_database, settings)
    assert result.exit_code == 0, result.output
    assert "Ledger verified: 14 entries in 4 chains" in result.output
    assert "every chain leads to its signed checkpoint" in result.output

    # The append-only trigger came back with the restore.
    engine = create_engine(fresh_database)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_entry"))
    engine.dispose()


def test_a_dump_older_than_the_checkpoint_is_named_as_missing_entries(
    app, postgresql_only, signed_ledger, fresh_database, tmp_path
):
    """Restoring a backup from before the last checkpoint loses entries, and verification says whose."""
    settings, school, people = signed_ledger
    dump(tmp_path / "older.dump")
    append(people[1].id, school.id, 2, start=10)
    assert app.test_cli_runner().invoke(args=["ledger", "checkpoint", "--no-email"]).exit_code == 0

    restore(tmp_path / "older.dump", fresh_database)
    result = verify_on(fresh_database, settings)
    assert result.exit_code != 0
    assert f"person {people[1].id}:" in result.output and "removed" in result.output
    assert f"person {people[0].id}:" not in result.output
    assert make_url(str(fresh_database)).database.endswith("_restored")
