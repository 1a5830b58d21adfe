"""Redis stopped under a running app: signing in and pages keep working, and the rate limits fall back to
counting in each process's memory (with a loud log line) rather than refusing everyone; when Redis is
back, the counting goes back to it by itself.

The Redis here is a redis-server the test starts on a port of its own, never the shared one.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from app import create_app
from app.extensions import db
from tests.conftest import TEST_SETTINGS
from tests.faults.live import Browser, Tally, build_and_seed, database_of_its_own, free_port, gunicorn

SIGN_IN_LIMIT = 5  # attempts per minute, per address


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen]:
    server = subprocess.Popen(  # noqa: S603  (Debian's redis-server, fixed arguments)
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def database_url(tmp_path):
    with database_of_its_own("redis") as url:
        yield url


def test_with_redis_stopped_sign_in_and_pages_work_and_limits_count_per_process(database_url, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url})
    seeded = build_and_seed(app, 2)
    email = seeded.teacher_emails[0]
    redis_port = free_port(range(6390, 6400))
    log_path = tmp_path / "gunicorn.log"
    tally = Tally()

    def wrong_password(browser: Browser) -> int:
        status = browser.sign_in(email, "not the password").status_code
        tally.count(f"wrong password {status}")
        return status

    with (
        redis_server(redis_port) as first_redis,
        gunicorn(
            database_url,
            log_path,
            workers=1,  # one process, so "per process" is exactly countable
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            RATELIMIT_ENABLED="true",
            SIGN_IN_RATE_LIMIT=f"{SIGN_IN_LIMIT} per minute",
        ) as base_url,
    ):
        browser = Browser(base_url)
        assert wrong_password(browser) == 200
        assert redis.Redis(port=redis_port).dbsize() > 0, "the attempt was not counted in Redis"

        first_redis.terminate()
        first_redis.wait(timeout=10)

        # Redis is gone. Signing in and pages keep working...
        started = time.perf_counter()
        signed_in = browser.sign_in(seeded.teacher_emails[1])
        sign_in_seconds = time.perf_counter() - started
        tally.count(f"sign-in {signed_in.status_code}")
        assert signed_in.status_code == 302, signed_in.text[:500]
        for path in ("/home", "/cpd/", "/training/"):
            status = browser.get(path).status_code
            tally.count(f"page {status}")
            assert status == 200, path
        # ...and the limit still holds, counted in this process's memory from the moment Redis went.
        other = Browser(base_url)
        statuses = [wrong_password(other) for _ in range(SIGN_IN_LIMIT)]
        assert statuses == [200] * (SIGN_IN_LIMIT - 1) + [429], statuses
        log = log_path.read_text()
        assert "RATE LIMITS DEGRADED: Redis (RATELIMIT_STORAGE_URI) is not answering" in log
        assert " ERROR " in log.split("RATE LIMITS DEGRADED")[0].rsplit("\n", 1)[-1]

        # Redis comes back: within a few checks (1 s, 2 s, 4 s... apart) the counting returns to it.
        with redis_server(redis_port):
            deadline = time.monotonic() + 40
            while redis.Redis(port=redis_port).dbsize() == 0:
                assert time.monotonic() < deadline, "the app never went back to counting in Redis"
                time.sleep(1)
                tally.count(f"page {browser.get('/healthz').status_code}")
                wrong_password(Browser(base_url))
            recovered_after = 40 - (deadline - time.monotonic())
    assert "RATE LIMITS RESTORED" in log_path.read_text()
    with app.app_context():
        db.engine.dispose()
    tally.report(
        "Redis stopped",
        0,
        **{
            "sign-in seconds with Redis gone": round(sign_in_seconds, 3),
            "seconds until counting was back in Redis": round(recovered_after, 1),
        },
    )
    assert "Server error" not in log_path.read_text()
