"""Changing the ledger behind the app's back, as someone who holds the database could."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.extensions import db
from app.models.ledger import SQLITE_LEDGER_TRIGGERS


def tamper(statements: list[tuple[str, dict[str, Any]]]) -> None:
    """Run raw SQL against the ledger with its append-only guard switched off for one transaction.

    On PostgreSQL only a superuser can do this (it switches row triggers off); on SQLite, anyone who
    can write the file can drop the triggers. Either way the guard is back when the transaction ends.
    """
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for name in SQLITE_LEDGER_TRIGGERS:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        for sql, params in statements:
            connection.execute(text(sql), params)
        if connection.dialect.name != "postgresql":
            for sql in SQLITE_LEDGER_TRIGGERS.values():
                connection.execute(text(sql))
