"""A program of ours serving the app on 127.0.0.1 for a test: started, awaited, and stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running(command: list[str], env: dict, base_url: str, log_path: Path, *, name: str, wait: float) -> Iterator[str]:
    """Run `command` (its output in `log_path`) until `base_url`/healthz answers 200, yield `base_url`,
    and stop its whole process group when the block ends."""
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603  (our own virtualenv's programs, fixed arguments)
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + wait
        while True:
            assert server.poll() is None, log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            assert time.monotonic() < deadline, f"{name} did not start:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.2)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
