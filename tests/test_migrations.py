"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from tests.conftest import TEST_SETTINGS


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
