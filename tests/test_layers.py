"""The layers of the house, as import-linter checks them in `make lint` (pyproject.toml's contracts).

The real tree keeps every contract; a copy of it with one forbidden import added breaks the contract
that forbids it, so the lint is known to catch what it is there to catch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess:
    """Run lint-imports on the `app` package found in `tree`, with the project's contracts."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603  (our own virtualenv's lint-imports, fixed arguments)
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy_of_the_tree(tmp_path) -> Path:
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "static", "assets"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_code_keeps_every_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def test_an_area_that_imports_the_pages_breaks_the_layers(copy_of_the_tree):
    add_import(copy_of_the_tree, "app.records.ledger", "from app.web import sessions  # noqa")
    result = lint(copy_of_the_tree)
    assert result.returncode != 0
    assert "each area calls only those below it" in result.stdout and "BROKEN" in result.stdout
    assert "app.records.ledger -> app.web.sessions" in result.stdout


def test_a_lower_area_that_imports_a_higher_one_breaks_the_layers(copy_of_the_tree):
    add_import(copy_of_the_tree, "app.people.staff", "from app.leadership import reminders  # noqa")
    result = lint(copy_of_the_tree)
    assert result.returncode != 0
    assert "app.people.staff -> app.leadership.reminders" in result.stdout


def test_reaching_into_another_areas_modules_breaks_its_interface(copy_of_the_tree):
    add_import(copy_of_the_tree, "app.learning.assignments", "from app.records import writing  # noqa")
    result = lint(copy_of_the_tree)
    assert result.returncode != 0
    assert "Another area uses the CPD record only through app.records BROKEN" in " ".join(result.stdout.split())
    assert "app.learning.assignments -> app.records.writing" in result.stdout
