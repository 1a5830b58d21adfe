"""The fault tests use databases and servers of their own (tests/faults/live.py), not the `app` fixture's."""

import pytest


@pytest.fixture(autouse=True)
def _clean_database():
    """Replaces tests/conftest.py's: nothing here writes to the shared test database."""
    yield
