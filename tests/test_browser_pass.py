"""`make test`'s browser pass on a machine where nothing in it runs (no Chromium, so every browser
module skips; or a folder with no browser tests) ends with exit 0, not pytest's 5 ("no tests")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_browser_pass_with_nothing_to_run_is_not_a_failure():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "browser", "-q", "-p", "no:cacheprovider", "tests/learning"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "deselected" in done.stdout, done.stdout[-2000:]
    assert done.returncode == 0, done.stdout[-2000:]


def test_other_runs_that_collect_nothing_still_say_so():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "browser and not browser",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/learning",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 5, done.stdout[-2000:]
