"""Fixtures for the browser tests: the app served for real, with demo data, and one Chromium.

The server is a separate process (`flask run`) on a fresh SQLite file, built with the real
migrations and filled by `flask demo`, so the browser sees exactly what a person would. The tests
run in the SQLite pass only: `--database=postgresql` skips them (the Makefile's PostgreSQL pass
also leaves them out with `-m "not browser"`).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from tests.browser.helpers import (
    AXE_SCRIPT,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    DESKTOP,
    ROOT,
    SUMMARY,
    save_screenshot,
)

FLASK = Path(sys.executable).parent / "flask"
SERVER_START_TIMEOUT = 30  # seconds
_reports = pytest.StashKey[dict]()


@dataclass
class LiveSite:
    base_url: str
    database_url: str
    log_path: Path
    # The same app, built in this process only to read its url_map and its database.
    app: Flask


@pytest.fixture(autouse=True)
def _clean_database():
    """Replaces tests/conftest.py's: these tests use the live server's own database, not `app`'s."""
    yield


@pytest.fixture(scope="session", autouse=True)
def _sqlite_pass_only(request):
    # Session-scoped so that it runs before the server and the browser start.
    if request.config.getoption("--database") == "postgresql":
        pytest.skip("the browser tests run in the SQLite pass only")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _flask(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603  (our own virtualenv's flask, fixed arguments)
        [str(FLASK), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait_until_healthy(base_url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"The app server stopped ({server.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"The app server did not answer /healthz in {SERVER_START_TIMEOUT}s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def _serve(folder: Path, settings: dict[str, str]) -> Iterator[LiveSite]:
    """The app on 127.0.0.1 at a free port, with the demo data, until the block ends.

    `settings` are environment variables that replace the defaults below (each one a setting the
    app reads from its environment, see app/config.py).
    """
    for needed, how in [
        (ROOT / "app" / "static" / "app.css", "npm run build"),
        (AXE_SCRIPT, "npm ci"),
    ]:
        if not needed.exists():
            pytest.fail(f"{needed.relative_to(ROOT)} is missing: run `make setup` (or `{how}`)")
    database_url = f"sqlite:///{folder / 'send-ready.sqlite3'}"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "SEND_READY_ENV": "development",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "PUBLIC_BASE_URL": base_url,
        # The sweep signs in a dozen times in a minute, well past the sign-in limit.
        "RATELIMIT_ENABLED": "false",
        # Leaders would first have to set up an authenticator app; these tests start after the
        # password, so every demo account signs in with its password alone (unless `settings`
        # turn two-step sign-in on, as tests/browser/test_two_step_sign_in.py does).
        "TWO_STEP_REQUIRED_FOR_LEADERS": "false",
        # No MAIL_SERVER: each email is written to the server's log as it would be sent.
        "MAIL_DELIVER_IN_REQUEST": "true",
    }
    for inherited in ("MAIL_SERVER", "REDIS_URL", "FLASK_DEBUG", "FLASK_RUN_PORT", "FLASK_RUN_HOST"):
        env.pop(inherited, None)
    env.update(settings)
    _flask(["db", "upgrade"], env)
    _flask(["demo"], env)

    log_path = folder / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603
            [str(FLASK), "run", "--no-reload", "--no-debugger", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(base_url, server, log_path)
        from app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": env["SECRET_KEY"]})
        yield LiveSite(base_url=base_url, database_url=database_url, log_path=log_path, app=app)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def live_site(tmp_path_factory) -> Iterator[LiveSite]:
    """The app on 127.0.0.1 at a free port, with the demo data; stopped at the end of the run."""
    with _serve(tmp_path_factory.mktemp("live-site"), {}) as site:
        yield site


@pytest.fixture(scope="session")
def serve_live_site(tmp_path_factory):
    """Another live site, with other settings: `with serve_live_site(NAME="value") as site:`.

    Each one is a server of its own, on a database of its own, so a test module that needs one
    starts it once, in a module-scoped fixture named `live_site` (which `new_page` then uses):
    see tests/browser/test_two_step_sign_in.py.
    """

    def serve(**settings: str):
        return _serve(tmp_path_factory.mktemp("live-site"), settings)

    return serve


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run; each test opens its own contexts (fresh cookies)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_page(request, browser, live_site):
    """Make a page in a fresh browser context: `new_page(javascript=False, viewport={...})`.

    If the test fails, a screenshot of every page it opened is kept under test-artifacts/.
    """
    contexts = []

    def make(*, javascript: bool = True, viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_site.base_url, java_script_enabled=javascript, viewport=viewport or DESKTOP
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    reports = request.node.stash.get(_reports, {})
    failed = any(report.failed for report in reports.values())
    for number, context in enumerate(contexts, start=1):
        if failed:
            for page_number, page in enumerate(context.pages, start=1):
                save_screenshot(page, f"{request.node.name}-{number}-{page_number}")
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.write_sep("-", "browser checks")
        for line in lines:
            terminalreporter.write_line(line)
