"""The fault tests serve the app for real on PostgreSQL databases of their own (tests/faults/live.py), so
they run in the PostgreSQL pass (`--database=postgresql`, as `make test` runs it when TEST_DATABASE_URL
is set) and are skipped, saying so, in the SQLite pass."""

import pytest


@pytest.fixture(autouse=True)
def _clean_database():
    """Replaces tests/conftest.py's: nothing here writes to the shared test database."""
    yield


@pytest.fixture(autouse=True, scope="module")
def _postgresql_pass_only(request):
    if request.config.getoption("--database") != "postgresql":
        pytest.skip("the fault tests run in the PostgreSQL pass (--database=postgresql with TEST_DATABASE_URL)")
