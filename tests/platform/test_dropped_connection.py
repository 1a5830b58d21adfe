"""The pool does not ping the database on every checkout; a reading page whose connection has dropped
(the database restarted, a proxy cut it) is read again on a new connection, once."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.extensions import db
from app.models import Role
from tests.conftest import sign_in


def _drop_the_apps_connections(database_url: str) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            dropped = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return dropped


def test_the_pool_does_not_ping_on_every_checkout(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_recycle"] > 0


def test_a_reading_page_is_read_again_when_its_connection_has_dropped(
    app, on_postgresql, database_url, make_school, make_person
):
    if not on_postgresql:
        pytest.skip("needs PostgreSQL (--database=postgresql) to drop a server connection")
    school = make_school("Dropped Connection Primary")
    ta = make_person(school, Role.TEACHING_ASSISTANT, name="Dana Dropped")
    client = app.test_client()
    sign_in(client, ta)
    assert client.get("/home").status_code == 200
    db.session.remove()
    assert _drop_the_apps_connections(database_url) >= 1
    response = client.get("/home")
    assert response.status_code == 200
    assert "Dana Dropped" in response.get_data(as_text=True)
