"""With REDIS_URL set, every worker process counts sign-in attempts in one place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

WORKER = r"""
import json, re, sys
from app import create_app
settings = json.loads(sys.argv[1])
app = create_app(settings)
client = app.test_client()
page = client.get("/sign-in").get_data(as_text=True)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
attempt = {"email": "x@example.org", "password": "guess", "csrf_token": token}
codes = [client.post("/sign-in", data=attempt).status_code for _ in range(2)]
print(json.dumps(codes))
"""


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (for example redis://127.0.0.1:6379/15): no Redis to share counters")
    return url


def test_two_processes_share_the_sign_in_limit(redis_url, database_url):
    from tests.conftest import TEST_SETTINGS

    settings = {
        **TEST_SETTINGS,
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        # A fresh prefix per run, so earlier runs' counters never count here.
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "SIGN_IN_RATE_LIMIT": "3 per minute",
    }

    def run_worker() -> list[int]:
        result = subprocess.run(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", WORKER, json.dumps(settings)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert run_worker() == [200, 200]
    # A second process, with its own memory: it sees the first one's attempts.
    assert run_worker() == [200, 429]
