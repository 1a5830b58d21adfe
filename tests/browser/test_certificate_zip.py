"""A headteacher asks for the staff's certificates as one zip, with JavaScript off: the form, its error,
the progress page while the worker (`flask certificates work`, run for real) builds it, and the
download. Each page is checked with axe-core."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile

import pytest

from tests.browser.conftest import FLASK
from tests.browser.helpers import HEADTEACHER, ROOT, axe_problem, sign_in, skip_without_chromium, submit

skip_without_chromium()
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="module")
def live_site(serve_live_site, evidence_dir):
    """This module's own site, where a zip of more than one certificate is built in the background."""
    with serve_live_site(CERTIFICATE_ZIP_IN_REQUEST_LIMIT="1", EVIDENCE_DIR=str(evidence_dir)) as site:
        yield site


def run_the_worker(live_site, evidence_dir) -> str:
    """`flask certificates work --once` against the live site's database and files."""
    env = {
        **os.environ,
        "FLASK_APP": "app:create_app",
        "DATABASE_URL": live_site.database_url,
        "SECRET_KEY": live_site.app.config["SECRET_KEY"],
        "SEND_READY_ENV": "development",
        "PUBLIC_BASE_URL": live_site.base_url,
        "EVIDENCE_DIR": str(evidence_dir),
    }
    done = subprocess.run(  # noqa: S603 - our own virtualenv's flask, fixed arguments
        [str(FLASK), "certificates", "work", "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_head_downloads_the_staff_certificates_as_one_zip(new_page, live_site, evidence_dir):
    page = new_page(javascript=False)
    sign_in(page, HEADTEACHER)
    page.goto("/leaders/staff-training")
    page.get_by_role("link", name="Download staff certificates").click()
    assert page.locator("h1").inner_text() == "Download staff certificates"

    # An end date before the start: the error summary, and the dates as typed.
    page.fill("#completed_from-day", "1")
    page.fill("#completed_from-month", "9")
    page.fill("#completed_from-year", "2026")
    page.fill("#completed_to-day", "1")
    page.fill("#completed_to-month", "9")
    page.fill("#completed_to-year", "2025")
    submit(page)
    assert page.title().startswith("Error: Download staff certificates")
    assert (
        "The end date must be the same as or after the start date" in page.locator(".govuk-error-summary").inner_text()
    )
    assert page.input_value("#completed_to-year") == "2025"

    # All of the school's certificates: more than this site makes while the head waits.
    for box in ("day", "month", "year"):
        page.fill(f"#completed_from-{box}", "")
        page.fill(f"#completed_to-{box}", "")
    submit(page)
    assert page.locator("h1").inner_text() == "Staff certificates"
    status = page.get_by_role("status").inner_text()
    match = re.fullmatch(r"0 of (\d+) certificates ready\.", status)
    assert match and int(match.group(1)) > 1, status
    total = int(match.group(1))

    assert f"ready, {total} of {total}" in run_the_worker(live_site, evidence_dir)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Refresh").click()
    assert page.get_by_role("status").inner_text() == f"All {total} certificates are ready."
    progress_url = page.url

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the certificates (zip file)").click()
    download = waiting.value
    assert re.fullmatch(r"certificates-\d+-\d{4}-\d\d-\d\d\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        names = archive.namelist()
        assert len(names) == total
        assert all(re.fullmatch(r"[\w.-]+-\d+-certificate-[\w-]+\.pdf", name) for name in names), names
        assert all(archive.read(name).startswith(b"%PDF") for name in names)

    # axe-core runs as a script, so the pages are checked again in a browser with JavaScript on.
    checker = new_page()
    sign_in(checker, HEADTEACHER)
    for url, name in (
        (progress_url, "certificate-zip-ready"),
        ("/leaders/staff-training/certificates", "certificate-zip-form"),
    ):
        checker.goto(url)
        assert axe_problem(checker, "headteacher", name) is None
