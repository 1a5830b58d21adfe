"""How the app behaves when the database server goes away (a restart, a failover, a killed connection).

The engine's connection pool settings are in app/config.py (SQLALCHEMY_ENGINE_OPTIONS); what happens to
a request whose connection dies is here and in app/web/errors.py (the 503 page):
- a statement that fails because its connection died raises OperationalError; SQLAlchemy then
  discards that connection and every other one the pool had opened before it, so the next request
  gets a fresh one and the app recovers without a restart;
- the request's transaction is rolled back with it, so nothing it wrote is kept, and it is shown
  the 503 page;
- a request that had already finished (its changes committed, or a page that only read) keeps its
  answer even if the connection dies before it is handed back: see close_session_at_end_of_request.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import exc as sqlalchemy_errors

from app.extensions import db

log = logging.getLogger("send_ready.database")


def close_session_at_end_of_request(error: BaseException | None = None) -> None:
    """Close the request's session; if its connection died since the last statement, discard it quietly.

    Closing rolls back whatever transaction is still open (a page that only read leaves one). When the
    connection has been killed in the meantime, that ROLLBACK fails; but there is nothing to undo, as
    the server dropped the transaction when it dropped the connection, and the answer the request
    already made (a page, or a redirect after its commit) stands. Without this the failed ROLLBACK
    would turn that answer into the server's bare "Internal Server Error".
    """
    if not db.session.registry.has():
        return
    session = db.session.registry()
    try:
        session.close()
    except sqlalchemy_errors.DBAPIError as problem:
        if not problem.connection_invalidated:
            raise
        log.warning("The database connection died before it was handed back; it was discarded: %s", problem)
        try:
            # Closes the session without another ROLLBACK, discarding its (dead) connections.
            session.invalidate()
        except sqlalchemy_errors.SQLAlchemyError:
            log.exception("Discarding the dead connection failed")
    finally:
        db.session.registry.clear()


def register_database_teardown(app: Flask) -> None:
    """Run close_session_at_end_of_request after each request, before Flask-SQLAlchemy's own teardown
    (which then finds the session already closed). Call it after db.init_app: teardowns run last-in first."""
    app.teardown_appcontext(close_session_at_end_of_request)
