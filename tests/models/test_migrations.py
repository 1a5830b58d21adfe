"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db
from tests.conftest import TEST_SETTINGS


def is_search_table(kind: str, name: str | None) -> bool:
    return kind == "table" and (name or "").startswith("content_search")


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        # The content search index is derived data in tables of its own, not a model (app/learning/search.py).
        opts = {"compare_type": True, "include_object": lambda _o, name, kind, *_: not is_search_table(kind, name)}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, db.metadata)


def test_upgrading_an_empty_database_gives_the_models_schema(app):
    # The session's database was emptied and built by running every migration (see conftest).
    with app.app_context():
        assert schema_differences(db.engine) == []
        tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables


def test_migrations_go_down_and_up_again(tmp_path):
    other = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        assert schema_differences(db.engine) == []
        db.session.remove()
        db.engine.dispose()


def test_existing_email_is_given_the_school_it_was_sent_for_where_that_is_certain(tmp_path):
    other = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}"})
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with other.app_context():
        upgrade(revision="0008")

        def add(table: str, **values) -> None:
            names = ", ".join(values)
            binds = ", ".join(f":{name}" for name in values)
            db.session.execute(text(f"INSERT INTO {table} ({names}) VALUES ({binds})"), values)

        for school_id in (1, 2):
            add(
                "school",
                id=school_id,
                urn=f"90000{school_id}",
                name=f"School {school_id}",
                phase="primary",
                created_at=now,
            )
        add("organisation", id=1, name="The council", kind="local_authority", created_at=now)
        for user_id in (1, 2, 3):
            add(
                "user_account",
                id=user_id,
                email=f"p{user_id}@example.org",
                name=f"P{user_id}",
                active=True,
                session_token=f"t{user_id}",
                created_at=now,
            )
        started = date(2025, 9, 1)
        # Person 1 has only ever worked at school 1 (two roles there, one ended); person 2 at both
        # schools; person 3 at school 1 and for the council.
        for membership_id, user_id, school_id, organisation_id, role, ended_on in (
            (1, 1, 1, None, "teacher", None),
            (2, 1, 1, None, "senco", date(2025, 12, 1)),
            (3, 2, 1, None, "teacher", None),
            (4, 2, 2, None, "governor", date(2025, 12, 1)),
            (5, 3, 1, None, "governor", None),
            (6, 3, None, 1, "la_officer", None),
        ):
            add(
                "membership",
                id=membership_id,
                user_id=user_id,
                school_id=school_id,
                organisation_id=organisation_id,
                role=role,
                started_on=started,
                ended_on=ended_on,
                created_at=now,
            )
        messages = {
            1: ("invitation", 1),
            2: ("role_added", 1),
            3: ("training_assigned", 1),
            4: ("password_reset", 1),
            5: ("invitation", 2),
            6: ("training_reminder", 2),
            7: ("weekly_digest", 2),
            8: ("invitation", 3),
            9: ("invitation", None),
        }
        for message_id, (kind, user_id) in messages.items():
            add(
                "outbox_message",
                id=message_id,
                kind=kind,
                user_id=user_id,
                to_address="someone@example.org",
                subject="s",
                body_text="b",
                created_at=now,
                send_after=now,
                attempts=0,
            )
        for reminder_id, school_id, kind, subject, message_id in (
            (1, 2, "overdue", "module-a", 6),
            (2, 2, "overdue", "module-b", 6),
            (3, 1, "weekly_digest", "digest", 7),
        ):
            add(
                "reminder_sent",
                id=reminder_id,
                user_id=2,
                school_id=school_id,
                kind=kind,
                subject=subject,
                period="2026-W02",
                outbox_message_id=message_id,
                sent_at=now,
            )
        db.session.commit()

        upgrade(revision="0009")
        schools = dict(db.session.execute(text("SELECT id, school_id FROM outbox_message")).all())
        assert schools == {
            # Sent for school 1, the only school person 1 has ever worked at.
            1: 1,
            2: 1,
            3: 1,
            # Sent for their account.
            4: None,
            # Person 2 has worked at two schools: which one invited them is not certain.
            5: None,
            # Reminders and digests: the school of the reminders they were sent for.
            6: 2,
            7: 1,
            # Person 3 works for the council as well.
            8: None,
            9: None,
        }
        db.session.commit()

        downgrade(revision="0008")
        assert "school_id" not in {column["name"] for column in inspect(db.engine).get_columns("outbox_message")}
        db.session.remove()
        db.engine.dispose()
