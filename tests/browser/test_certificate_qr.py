"""A certificate's QR code, followed as a phone would: the PDF downloaded from the live site, the QR
code read from the rendered page's pixels, and its address opened in Chromium, which shows the
certificate's status. Nothing is scanned with a camera; everything else is the real path."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import HEADTEACHER, axe_problem, sign_in, skip_without_chromium
from tests.support.qr import qr_codes_in_pdf

skip_without_chromium()
pytestmark = pytest.mark.browser


def test_the_qr_code_on_a_certificate_opens_its_status(new_page, live_site):
    page = new_page()
    sign_in(page, HEADTEACHER)
    page.goto("/cpd/")
    link = page.get_by_role("link", name=re.compile(r"^Download certificate")).first
    # Fetched with the signed-in browser's own session (a download event is not needed to read it).
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")

    (scanned,) = qr_codes_in_pdf(pdf)
    assert scanned.startswith(f"{live_site.base_url}/verify/")

    # Whoever scans it is not signed in: a fresh browser, as on the employer's phone.
    phone = new_page()
    phone.goto(scanned)
    assert phone.locator("h1").inner_text() in ("This certificate is valid", "This certificate has expired")
    status = phone.locator("#certificate-status").inner_text().strip()
    assert status in ("Valid", "Expired")
    assert "Issued on" in phone.content() and "Renew by" in phone.content() and "Issuing school" in phone.content()
    assert axe_problem(phone, "anonymous", "verify-from-qr") is None
