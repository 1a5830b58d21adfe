"""On PostgreSQL a reading page runs without a transaction: no BEGIN before its first statement and no
ROLLBACK after its last. A GET that writes all the same writes in one transaction, from its first
write on, and the connection goes back to the pool in transaction mode for the next request."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, func, select, text

from app.extensions import db
from app.models import Organisation, OrganisationKind, Role
from app.platform.database import READING_REQUEST, only_reads
from tests.conftest import csrf_token_from, sign_in

NEEDS_POSTGRESQL = "needs PostgreSQL (--database=postgresql): SQLite has no autocommit mode to read in"


class TransactionStates:
    """The driver's transaction status after each statement, and the mode of each connection handed back."""

    def __init__(self, engine):
        self.engine = engine
        self.after_statement: list[tuple[str, TransactionStatus]] = []
        self.checked_in_autocommit: list[bool] = []

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._statement)
        event.listen(self.engine.pool, "checkin", self._checkin)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "after_cursor_execute", self._statement)
        event.remove(self.engine.pool, "checkin", self._checkin)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.after_statement.append((statement.split()[0].upper(), cursor.connection.info.transaction_status))

    def _checkin(self, dbapi_connection, record):
        if dbapi_connection is not None:
            self.checked_in_autocommit.append(dbapi_connection.autocommit)

    @property
    def statuses(self) -> set[TransactionStatus]:
        return {status for _, status in self.after_statement}


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT user_account.id FROM user_account WHERE user_account.id = %(id)s", True),
        ("  select 1", True),
        ("SHOW jit", True),
        ("SELECT user_account.id FROM user_account WHERE user_account.id = %(id)s FOR UPDATE", False),
        ("SELECT quiz_attempt.id FROM quiz_attempt FOR NO KEY UPDATE SKIP LOCKED", False),
        ("SELECT user_account.id FROM user_account FOR KEY SHARE", False),
        ("SELECT pg_advisory_xact_lock(%(key)s)", False),
        ("SELECT nextval('ledger_entry_id_seq')", False),
        ("WITH moved AS (DELETE FROM outbox_message RETURNING id) SELECT count(*) FROM moved", False),
        ("INSERT INTO audit_event (kind) VALUES (%(kind)s)", False),
        ("UPDATE school SET training_revision = %(r)s", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_only_a_plain_select_counts_as_only_reading(statement, reads):
    assert only_reads(statement) is reads


@pytest.fixture
def signed_in(app, on_postgresql, make_school, make_person):
    """A teaching assistant's client, signed in, with the test's own session put away so that each
    request takes its connection from the pool as in production."""
    if not on_postgresql:
        pytest.skip(NEEDS_POSTGRESQL)
    school = make_school("Autocommit Primary")
    client = app.test_client()
    sign_in(client, make_person(school, Role.TEACHING_ASSISTANT, name="Ari Autocommit"))
    db.session.remove()
    return client


def test_a_reading_page_runs_without_begin_or_rollback(signed_in):
    with TransactionStates(db.engine) as states:
        response = signed_in.get("/home")
    assert response.status_code == 200 and "Ari Autocommit" in response.get_data(as_text=True)
    assert len(states.after_statement) >= 2
    # IDLE after a SELECT: it ran in autocommit mode, so no transaction was open (no BEGIN was sent).
    assert states.statuses == {TransactionStatus.IDLE}, states.after_statement
    assert states.checked_in_autocommit and not any(states.checked_in_autocommit), "handed back in autocommit mode"


def test_a_write_still_runs_in_a_transaction(signed_in):
    page = signed_in.get("/account/")
    with TransactionStates(db.engine) as states:
        signed_in.post("/sign-out", data={"csrf_token": csrf_token_from(page)})
    assert TransactionStatus.INTRANS in states.statuses, states.after_statement


def test_reading_in_a_transaction_can_be_switched_back_on(app, signed_in):
    app.config["READ_PAGES_WITHOUT_TRANSACTION"] = False
    try:
        with TransactionStates(db.engine) as states:
            assert signed_in.get("/home").status_code == 200
    finally:
        app.config["READ_PAGES_WITHOUT_TRANSACTION"] = True
    assert states.statuses == {TransactionStatus.INTRANS}


def test_a_get_that_writes_enters_a_transaction_at_its_first_write(app, on_postgresql):
    if not on_postgresql:
        pytest.skip(NEEDS_POSTGRESQL)

    def organisations(name: str) -> int:
        with db.engine.connect() as connection:  # outside any request: its own transaction
            return connection.scalar(select(func.count()).select_from(Organisation).where(Organisation.name == name))

    with app.test_request_context("/", method="GET") as context, TransactionStates(db.engine) as states:
        context.request.environ[READING_REQUEST] = True  # as dispatching a GET does
        db.session.execute(text("SELECT 1"))
        db.session.add(Organisation(name="Written On A Get", kind=OrganisationKind.TRUST))
        db.session.flush()
        db.session.add(Organisation(name="Written On A Get", kind=OrganisationKind.TRUST))
        db.session.flush()
        assert organisations("Written On A Get") == 0, "a write on a GET is not committed statement by statement"
        db.session.rollback()
        assert organisations("Written On A Get") == 0, "both writes rolled back together"
        db.session.add(Organisation(name="Committed On A Get", kind=OrganisationKind.TRUST))
        db.session.commit()
        db.session.remove()
    assert organisations("Committed On A Get") == 1
    assert next(status for verb, status in states.after_statement if verb == "SELECT") is TransactionStatus.IDLE
    assert all(status is TransactionStatus.INTRANS for verb, status in states.after_statement if verb == "INSERT")
    assert not any(states.checked_in_autocommit)


def test_code_inside_a_request_context_that_is_not_a_request_keeps_its_transaction(app, on_postgresql):
    if not on_postgresql:
        pytest.skip(NEEDS_POSTGRESQL)
    with app.test_request_context("/", method="GET"), TransactionStates(db.engine) as states:
        db.session.execute(text("SELECT 1"))
        db.session.remove()
    assert states.statuses == {TransactionStatus.INTRANS}


def test_a_reading_request_streams_rows_in_a_transaction(app, on_postgresql):
    # A server-side cursor (stream_results, yield_per) exists only inside a transaction in PostgreSQL.
    if not on_postgresql:
        pytest.skip(NEEDS_POSTGRESQL)
    with app.test_request_context("/", method="GET") as context, TransactionStates(db.engine) as states:
        context.request.environ[READING_REQUEST] = True
        db.session.execute(text("SELECT 1"))
        rows = db.session.execute(text("SELECT generate_series(1, 5)"), execution_options={"yield_per": 2})
        assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
        db.session.remove()
    assert [status for _, status in states.after_statement] == [TransactionStatus.IDLE, TransactionStatus.INTRANS]


def test_an_engine_made_in_autocommit_mode_is_left_in_it(app, on_postgresql, database_url):
    # For example an administrator's engine that creates and drops databases, used inside a request.
    if not on_postgresql:
        pytest.skip(NEEDS_POSTGRESQL)
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with app.test_request_context("/", method="GET") as context:
            context.request.environ[READING_REQUEST] = True
            with engine.connect() as connection:
                connection.execute(text("CREATE TEMPORARY TABLE scratch (n int)"))
                assert connection.connection.dbapi_connection.autocommit is True
            with engine.connect() as connection:
                assert connection.connection.dbapi_connection.autocommit is True
    finally:
        engine.dispose()
