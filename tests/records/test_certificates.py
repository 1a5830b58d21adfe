"""Certificates: the PDF, its verification code, the public page that checks it, and voiding one."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app import learning
from app.extensions import db
from app.learning import module_progress, requirements
from app.models import LedgerEntry, ModuleProgress, Role
from app.records import certificates, cpd, ledger, reading
from app.records.ledger import EntryKind, verify_person
from tests.conftest import csrf_token_from, sign_in
from tests.support.qr import qr_codes_in_pdf

MODULE = "send-essentials"


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")


@pytest.fixture
def ta(app, school, make_person):
    person = make_person(school, Role.TEACHING_ASSISTANT, name="Amara Oakley", email="amara@oakfield.example.org")
    client = app.test_client()
    sign_in(client, person)
    return client, person


def complete(app, user, school, module_id=MODULE) -> LedgerEntry:
    module = app.extensions["catalogue"].modules[module_id]
    progress = ModuleProgress(user_id=user.id, module_id=module.id, reading_version=module.version, pages_read=[])
    db.session.add(progress)
    entry = module_progress.record_module_completion(
        user_id=user.id, school_id=school.id, module=module, progress=progress
    )
    db.session.commit()
    return entry


def pdf_text(data: bytes) -> str:
    """The PDF's text, with line breaks (table cells wrap) as single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def code_in(text: str) -> str:
    match = re.search(r"Verification code: (\d+-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5})", text)
    assert match, text
    return match.group(1)


def test_a_completed_module_has_a_certificate_whose_code_checks(app, ta, school, client):
    ta_client, person = ta
    entry = complete(app, person, school)
    module = app.extensions["catalogue"].modules[MODULE]
    assert "Download certificate" in ta_client.get("/cpd/").get_data(as_text=True)

    response = ta_client.get(f"/cpd/certificates/{MODULE}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificate-{MODULE}.pdf"'
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "Certificate of completion" in text and "Amara Oakley" in text
    assert module.title in text and "Oakfield Primary School" in text
    code = code_in(text)
    assert code == certificates.code_for(entry)
    assert f"http://localhost/verify/{code}" in text.replace(" ", "")

    # Anyone, signed in or not, can check it; the page shows the name, module, date and school only.
    page = client.get(f"/verify/{code}")
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and "This certificate is valid" in shown
    assert "Amara Oakley" in shown and module.title in shown and "Oakfield Primary School" in shown
    assert entry.occurred_at.strftime("%-d %B %Y") in shown
    assert "amara@oakfield.example.org" not in shown and "minutes" not in shown
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    # Typed by hand from the paper: case and spaces do not matter.
    assert client.get(f"/verify/{code.lower().replace('-', ' - ', 1)}").status_code == 200


def words_on(page) -> str:
    """The page's text without its markup, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))).split())


def tamper(code: str) -> list[str]:
    entry_id, mac = code.split("-", 1)
    flipped = ("B" if mac[0] == "A" else "A") + mac[1:]
    return [
        f"{entry_id}-{flipped}",  # one character of the MAC changed
        f"{int(entry_id) + 1}-{mac}",  # the MAC of one entry with the id of another
        f"{entry_id}-{mac[:-1]}",  # too short
        f"{entry_id}-{mac}A",  # too long
        "not-a-code",
        "0-AAAAA-AAAAA-AAAAA-AAAAA",
    ]


def test_a_forged_or_unknown_code_is_not_valid(app, ta, school, make_person, client):
    _, person = ta
    entry = complete(app, person, school)
    # Another entry right after it, so that "id + 1" exists.
    other = complete(app, make_person(school, Role.TEACHER), school)
    assert other.id == entry.id + 1
    for forged in tamper(certificates.code_for(entry)):
        response = client.get(f"/verify/{forged}")
        assert response.status_code == 404, forged
        assert "This certificate is not valid" in response.get_data(as_text=True)
        assert "Amara Oakley" not in response.get_data(as_text=True)
    assert certificates.check_code(certificates.code_for(entry)) is not None


def test_codes_depend_on_the_secret_key_and_the_entry(app, ta, school, monkeypatch):
    _, person = ta
    entry = complete(app, person, school)
    code = certificates.code_for(entry)
    assert code == certificates.code_for(entry)  # stable
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-that-is-long-enough-to-use")
    assert certificates.code_for(entry) != code
    assert certificates.check_code(code) is None


def test_only_module_completions_have_codes(app, ta):
    _, person = ta
    quiz = ledger.append_entry(
        user_id=person.id,
        kind=EntryKind.QUIZ_ATTEMPTED,
        subject_id=MODULE,
        payload={"score": 9, "total": 10, "passed": True, "title": "SEND essentials"},
    )
    db.session.commit()
    assert certificates.check_code(certificates.code_for(quiz)) is None


def test_no_certificate_before_the_module_is_completed(ta):
    client, _ = ta
    response = client.get(f"/cpd/certificates/{MODULE}")
    assert response.status_code == 302 and response.headers["Location"] == f"/training/modules/{MODULE}"
    assert client.get("/cpd/certificates/no-such-module").status_code == 404


def test_a_leader_voids_a_certificate_and_its_code_stops_checking(app, ta, school, make_person, client):
    ta_client, person = ta
    entry = complete(app, person, school)
    code = certificates.code_for(entry)
    head = make_person(school, Role.HEADTEACHER, name="Hana Head")
    head_client = app.test_client()
    sign_in(head_client, head)

    record_page = head_client.get(f"/cpd/people/{person.id}").get_data(as_text=True)
    url = f"/cpd/staff-completions/{entry.id}/void"
    assert url in record_page
    page = head_client.get(url)
    refused = head_client.post(url, data={"csrf_token": csrf_token_from(page), "reason": ""})
    assert refused.status_code == 200 and "Say why the certificate is being voided" in refused.get_data(as_text=True)
    assert certificates.check_code(code) is not None

    reason = "Completed on the wrong person's account."
    response = head_client.post(url, data={"csrf_token": csrf_token_from(page), "reason": reason})
    assert response.status_code == 302
    head_client.post(url, data={"csrf_token": csrf_token_from(page), "reason": reason})  # again: once only
    voids = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == person.id, LedgerEntry.kind == "certificate_voided")
    ).all()
    assert len(voids) == 1
    assert voids[0].payload == {"refers_to_entry": entry.id, "reason": reason}
    assert voids[0].recorded_by_id == head.id
    assert verify_person(person.id) is None

    assert client.get(f"/verify/{code}").status_code == 404
    assert "This certificate is not valid" in client.get(f"/verify/{code}").get_data(as_text=True)
    record = reading.build_record(person)
    assert record.find(entry.id).status is cpd.CERTIFICATE_VOIDED and record.total_minutes == 0
    own = html.unescape(ta_client.get("/cpd/").get_data(as_text=True))
    assert "Certificate voided" in own and reason in own and "Download certificate" not in own
    assert ta_client.get(f"/cpd/certificates/{MODULE}").status_code == 302
    assert "The certificate was voided" in head_client.get(url).get_data(as_text=True)


def test_completing_again_after_a_void_gives_a_new_certificate(app, ta, school, make_person):
    ta_client, person = ta
    first = complete(app, person, school)
    head = make_person(school, Role.HEADTEACHER)
    certificates.void_certificate(
        leader_id=head.id, school=school, record=reading.build_record(person), completion_id=first.id, reason="x"
    )
    db.session.commit()
    # A new version of the module, completed again (as the curriculum records it): a new certificate.
    module = app.extensions["catalogue"].modules[MODULE]
    second = ledger.append_entry(
        user_id=person.id,
        school_id=school.id,
        kind=EntryKind.MODULE_COMPLETED,
        subject_id=MODULE,
        subject_version="a-later-version",
        payload={"minutes": module.minutes, "title": module.title},
        dedupe_key=f"module_completed:{MODULE}:a-later-version",
    )
    db.session.commit()
    text = pdf_text(ta_client.get(f"/cpd/certificates/{MODULE}").data)
    assert code_in(text) == certificates.code_for(second) != certificates.code_for(first)


def test_only_the_schools_leaders_void_certificates(app, ta, school, make_person, make_school):
    _, person = ta
    entry = complete(app, person, school)
    teacher = make_person(school, Role.TEACHER)
    stranger = make_person(make_school(), Role.HEADTEACHER)
    for user, status in ((teacher, 403), (stranger, 404)):
        other = app.test_client()
        sign_in(other, user)
        assert other.get(f"/cpd/staff-completions/{entry.id}/void").status_code == status
        token = csrf_token_from(other.get("/home"))
        assert (
            other.post(f"/cpd/staff-completions/{entry.id}/void", data={"csrf_token": token, "reason": "x"}).status_code
            == status
        )
    assert certificates.check_code(certificates.code_for(entry)) is not None


def test_the_certificate_carries_a_qr_code_that_opens_its_verify_page(app, ta, school, client):
    ta_client, person = ta
    entry = complete(app, person, school)
    response = ta_client.get(f"/cpd/certificates/{MODULE}")
    document = PdfReader(io.BytesIO(response.data))
    assert len(document.pages) == 1  # the QR code fits on the certificate's one page

    # Decoded from the rendered page's pixels, as a phone would.
    (scanned,) = qr_codes_in_pdf(response.data)
    code = certificates.code_for(entry)
    assert scanned == f"http://localhost/verify/{code}"
    page = client.get(scanned.removeprefix("http://localhost"))
    assert page.status_code == 200 and "This certificate is valid" in page.get_data(as_text=True)


def test_the_verify_page_shows_issue_and_renewal_dates_the_issuing_school_and_that_it_is_valid(app, ta, school, client):
    _ta_client, person = ta
    entry = complete(app, person, school)
    page = client.get(f"/verify/{certificates.code_for(entry)}")
    shown = words_on(page)
    issued = entry.occurred_at.date()
    renew = issued.replace(year=issued.year + 3)  # the teaching assistants' pathway: every 36 months
    assert page.status_code == 200
    assert "Status Valid" in shown
    assert f"Issued on {issued.strftime('%-d %B %Y')}" in shown
    assert f"Renew by {renew.strftime('%-d %B %Y')}" in shown
    assert "Issuing school Oakfield Primary School" in shown


def test_a_certificate_past_its_renewal_date_is_expired(app, school, make_person, client):
    person = make_person(school, Role.TEACHING_ASSISTANT, name="Amara Oakley", started_on=date(2020, 9, 1))
    module = app.extensions["catalogue"].modules[MODULE]
    progress = ModuleProgress(user_id=person.id, module_id=module.id, reading_version=module.version, pages_read=[])
    db.session.add(progress)
    entry = module_progress.record_module_completion(
        user_id=person.id,
        school_id=school.id,
        module=module,
        progress=progress,
        occurred_at=datetime(2022, 3, 1, 10, 0, tzinfo=UTC),
    )
    db.session.commit()
    page = client.get(f"/verify/{certificates.code_for(entry)}")
    shown = words_on(page)
    assert page.status_code == 200
    assert "This certificate has expired" in shown and "Status Expired" in shown
    assert "Renew by 1 March 2025" in shown and "Amara Oakley" in shown


def test_a_school_asking_everyone_to_take_the_module_again_expires_the_certificate_from_that_day(
    app, ta, school, make_person
):
    _ta_client, person = ta
    entry = complete(app, person, school)
    head = make_person(school, Role.HEADTEACHER)
    catalogue = app.extensions["catalogue"]
    requirements.require_refresh(catalogue=catalogue, school_id=school.id, module_id=MODULE, changed_by_id=head.id)
    db.session.commit()
    code = certificates.code_for(entry)
    today = date.today()
    assert learning.check_certificate(code, catalogue=catalogue, today=today).renew_by == today
    tomorrow = learning.check_certificate(code, catalogue=catalogue, today=today + timedelta(days=1))
    assert tomorrow.status is learning.CertificateStatus.EXPIRED


def test_a_voided_certificate_says_voided_without_the_name(app, ta, school, make_person, client):
    _ta_client, person = ta
    entry = complete(app, person, school)
    head = make_person(school, Role.HEADTEACHER)
    certificates.void_certificate(
        leader_id=head.id,
        school=school,
        record=reading.build_record(person),
        completion_id=entry.id,
        reason="Issued to the wrong account.",
    )
    db.session.commit()
    page = client.get(f"/verify/{certificates.code_for(entry)}")
    shown = words_on(page)
    assert page.status_code == 404
    assert "This certificate is not valid" in shown and "Status Voided" in shown
    assert "the school withdrew it on" in shown and "Amara Oakley" not in shown
