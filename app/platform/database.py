"""The database connection: what each new connection is told, what a dropped one costs a request,
and how the app recovers from the server going away (a restart, a failover, a killed connection).

The pool does not ping the database on every checkout (a round trip on every request). Connections
are replaced after `pool_recycle` seconds instead (app/config.py, SQLALCHEMY_ENGINE_OPTIONS, the one
place for the pool's settings). When a connection has gone all the same:
- a statement that fails because its connection died raises OperationalError; SQLAlchemy then
  discards that connection and every other one the pool had opened before it, so the next request
  gets a fresh one and the app recovers without a restart;
- a reading request (GET or HEAD) is run once more on a fresh connection (read_again_on_new_connection),
  and so is a write none of whose statements had reached the database (its pooled connection died
  while it waited, as after a restart at night);
- a write that had begun is not replayed: its transaction is rolled back with the connection, so nothing it wrote is
  kept, and it is shown the 503 page (app/web/errors.py); sending it again is safe because every
  write is idempotent;
- a request that had already finished (its changes committed, or a page that only read) keeps its
  answer even if the connection dies before it is handed back: see close_session_at_end_of_request.

On PostgreSQL a reading request (GET or HEAD) runs without a transaction: its connection is put in
psycopg's autocommit mode when the request takes it from the pool, so no BEGIN is sent before its first
statement and no ROLLBACK after its last, two round trips saved on every page. Each SELECT then sees
the data as committed when it starts, which is what PostgreSQL's default isolation (READ COMMITTED)
gives inside a transaction too. A GET that writes all the same (or locks rows, or takes a savepoint)
is put back into a transaction just before that statement (_write_in_a_transaction), so its writes
are committed or rolled back together, as on any other request. `READ_PAGES_WITHOUT_TRANSACTION`
switches this off.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, current_app, g, has_request_context, request, request_started
from sqlalchemy import event
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.extensions import db

log = logging.getLogger("send_ready.database")

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


# A statement that only reads: a SELECT (or SHOW) that neither locks rows nor calls a function that
# changes something. Anything else (a WITH, which may hide a write, included) runs in a transaction.
_READS = re.compile(r"\s*(select|show)\b", re.IGNORECASE)
_LOCKS_OR_CHANGES = re.compile(
    r"\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\bpg_advisory|\bnextval\s*\(|\bsetval\s*\("
    r"|\bset_config\s*\(",
    re.IGNORECASE,
)
_READING = "send_ready_reading_without_transaction"
READING_REQUEST = "send_ready.read_without_transaction"


def only_reads(statement: str) -> bool:
    return bool(_READS.match(statement)) and not _LOCKS_OR_CHANGES.search(statement)


def _mark_reading_request(sender: Flask, **extra) -> None:
    # Set as each request is dispatched, so that only a real reading request (not code that merely runs
    # inside a request context) reads without a transaction.
    if request.method in SAFE_METHODS and current_app.config.get("READ_PAGES_WITHOUT_TRANSACTION", True):
        request.environ[READING_REQUEST] = True


@event.listens_for(Pool, "checkout")
def _read_without_transaction(dbapi_connection, connection_record, connection_proxy) -> None:
    if (
        has_request_context()
        and request.environ.get(READING_REQUEST)
        and type(dbapi_connection).__module__.startswith("psycopg")
        # A connection already in autocommit mode belongs to an engine made that way: leave it be.
        and not dbapi_connection.autocommit
    ):
        dbapi_connection.autocommit = True
        connection_record.info[_READING] = True


@event.listens_for(Pool, "checkin")
def _back_to_transactions(dbapi_connection, connection_record) -> None:
    # Back in the pool, a connection is as every other request expects it: in transaction mode. The
    # pool's ROLLBACK on return has already run, and in autocommit mode it sent nothing.
    if connection_record.info.pop(_READING, False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


@event.listens_for(Engine, "before_cursor_execute")
def _write_in_a_transaction(connection, cursor, statement, parameters, context, executemany) -> None:
    """A reading request that is about to write, lock or read through a server-side cursor (which
    PostgreSQL keeps only inside a transaction): from here on it runs in a transaction (psycopg sends
    BEGIN before this statement), which its COMMIT or the end of the request closes."""
    pooled = connection.connection
    if (
        pooled.info.get(_READING)
        and pooled.dbapi_connection.autocommit
        and (not only_reads(statement) or getattr(cursor, "name", None) is not None)
    ):
        pooled.dbapi_connection.autocommit = False


@event.listens_for(Engine, "after_cursor_execute")
def _note_the_database_answered(connection, cursor, statement, parameters, context, executemany) -> None:
    # A request none of whose statements reached the database has written nothing, so it can be run
    # again whatever its method: the case of a connection that died while it waited in the pool.
    if has_request_context():
        g._database_answered = True


def read_again_on_new_connection(error: Exception):
    """The response of a request run once more, when `error` says its connection had dropped and running
    it again cannot write twice: a reading request (GET or HEAD), or any request none of whose statements
    had reached the database (its pooled connection was already dead, after a restart in a quiet time).
    None when it does not apply (not a dropped connection, a write that had begun, or already run again)."""
    if not isinstance(error, sqlalchemy_errors.DBAPIError) or not error.connection_invalidated:
        return None
    if g.get("_read_again_on_new_connection"):
        return None
    if request.method not in SAFE_METHODS and g.get("_database_answered"):
        return None
    g._read_again_on_new_connection = True
    current_app.logger.warning("The database connection had dropped; reading %s again on a new one", request.path)
    db.session.rollback()
    try:
        response = current_app.preprocess_request()
        return response if response is not None else current_app.dispatch_request()
    except Exception as again:  # the page's own 404, 403 or error, handled as it would have been
        return current_app.handle_user_exception(again)


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


def register_reading_without_transaction(app: Flask) -> None:
    """Let GET and HEAD requests read without a transaction on PostgreSQL (see the module's docstring)."""
    request_started.connect(_mark_reading_request, app)


def register_database_teardown(app: Flask) -> None:
    """Run close_session_at_end_of_request after each request, before Flask-SQLAlchemy's own teardown
    (which then finds the session already closed). Call it after db.init_app: teardowns run last-in first."""
    app.teardown_appcontext(close_session_at_end_of_request)
