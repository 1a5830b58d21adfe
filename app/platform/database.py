"""The database connection: what each new connection is told, and what a dropped one costs a reader.

The pool does not ping the database on every checkout (a round trip on every request). Connections
are replaced after `pool_recycle` seconds instead (app/config.py), which outlives no sensible server
or proxy idle timeout; and when a connection has gone all the same (the database restarted or
failed over), SQLAlchemy notices on first use and drops the pool's connections, and a reading request
(GET or HEAD) is run once more on a fresh one. A write is not replayed: its form shows the error
page, and sending it again is safe because every write is idempotent.
"""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from app.extensions import db

RECYCLE_SECONDS = 1800
SAFE_METHODS = {"GET", "HEAD"}


@event.listens_for(Engine, "connect")
def _settle_connection(dbapi_connection, connection_record) -> None:
    # PostgreSQL's JIT compiler spends about a second compiling an organisation's grouped queries, whose
    # plans it costs high, to save less than it spends; the pages' queries are short, so it is off.
    module = type(dbapi_connection).__module__
    if module.startswith("psycopg"):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET jit = off")
        dbapi_connection.autocommit = autocommit


def read_again_on_new_connection(error: Exception):
    """The response of a reading request run once more, when `error` says its connection had dropped;
    None when it does not apply (not a dropped connection, a write, or already run again)."""
    if not isinstance(error, DBAPIError) or not error.connection_invalidated:
        return None
    if request.method not in SAFE_METHODS or g.get("_read_again_on_new_connection"):
        return None
    g._read_again_on_new_connection = True
    current_app.logger.warning("The database connection had dropped; reading %s again on a new one", request.path)
    db.session.rollback()
    try:
        response = current_app.preprocess_request()
        return response if response is not None else current_app.dispatch_request()
    except Exception as again:  # the page's own 404, 403 or error, handled as it would have been
        return current_app.handle_user_exception(again)
