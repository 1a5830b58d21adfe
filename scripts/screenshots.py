"""`make screenshots`: pictures of the pages people use most, at a phone's width (390 px) and a desk's
(1280 px), taken in Chromium from the app served with the demo data, into screenshots/ (git-ignored).

Home as a teaching assistant, the training page of a teacher with an assignment, the staff dashboard
and the governing board's report as the headteacher. A reviewer can look without setting anything up.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "screenshots"
FLASK = Path(sys.executable).parent / "flask"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]  # fmt: skip
PASSWORD = secrets.token_urlsafe(12)  # a fresh demo database each run
WIDTHS = (390, 1280)
PAGES = [
    ("home-teaching-assistant", "ta@oakfield.example.org", "/home"),
    ("training-teacher-with-assignment", "teacher@oakfield.example.org", "/training/"),
    ("staff-dashboard", "head@oakfield.example.org", "/leaders/staff-training"),
    ("board-report", "head@oakfield.example.org", "/leaders/board-report"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"Chromium is not installed at {CHROMIUM}: run scripts/system-packages.sh", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="send-ready-screenshots-") as folder:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "FLASK_APP": "app:create_app",
            "DATABASE_URL": f"sqlite:///{folder}/send-ready.sqlite3",
            "SECRET_KEY": secrets.token_hex(32),
            "SEND_READY_ENV": "development",
            "DEMO_PASSWORD": PASSWORD,
            "PUBLIC_BASE_URL": base_url,
            "RATELIMIT_ENABLED": "false",
            # The pictures start after signing in: leaders sign in with their password alone here.
            "TWO_STEP_REQUIRED_FOR_LEADERS": "false",
        }
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run([str(FLASK), *command], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
        log = Path(folder) / "server.log"
        with log.open("w") as server_log:
            server = subprocess.Popen(  # noqa: S603
                [str(FLASK), "run", "--no-reload", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            for _ in range(150):
                try:
                    with urllib.request.urlopen(f"{base_url}/healthz", timeout=1):  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.2)
            else:
                print(f"The app did not start:\n{log.read_text()[-2000:]}", file=sys.stderr)
                return 1
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, email, path in PAGES:
                    for width in WIDTHS:
                        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
                        page = context.new_page()
                        page.goto("/sign-in")
                        page.fill("#email", email)
                        page.fill("#password", PASSWORD)
                        with page.expect_navigation(wait_until="load"):
                            page.click("button#submit")
                        page.goto(path, wait_until="load")
                        target = OUT / f"{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(f"{target.relative_to(ROOT)}")
                        context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
