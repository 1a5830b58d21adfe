"""A leader's zip of their staff's certificates: what is in it, the form, and the background build."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import CertificateBundle, LedgerEntry, Membership, Role, User
from app.models.base import utcnow
from app.records import certificate_bundles, certificates, ledger, sharing
from tests.conftest import csrf_token_from, sign_in

ESSENTIALS = "send-essentials"
FORM = "/leaders/staff-training/certificates"


def complete(app, person, school, module_id, on: date) -> LedgerEntry:
    """The person's completion of the module while at the school, on the day."""
    module = app.extensions["catalogue"].modules[module_id]
    entry = ledger.append_entry(
        user_id=person.id,
        school_id=school.id,
        kind=ledger.EntryKind.MODULE_COMPLETED,
        subject_id=module.id,
        subject_version=module.version,
        payload={"minutes": module.minutes, "title": module.title},
        occurred_at=datetime(on.year, on.month, on.day, 12, tzinfo=UTC),
        recorded_by_id=person.id,
        dedupe_key=f"module_completed:{module.id}:{module.version}:{school.id}",
    )
    db.session.commit()
    return entry


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def zip_contents(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def file_name(person, module_id) -> str:
    return f"{person.name.replace(' ', '-')}-{person.id}-certificate-{module_id}.pdf"


@pytest.fixture
def world(app, make_school, make_person):
    """Oakfield's head, two of its staff and a commuter who also works at Elm; Elm's own teacher."""
    oakfield = make_school("Oakfield Primary School")
    elm = make_school("Elm Academy")
    modules = sorted(app.extensions["catalogue"].modules)
    other_module = next(module for module in modules if module != ESSENTIALS)
    head = make_person(oakfield, Role.HEADTEACHER, name="Helen Head")
    ta = make_person(oakfield, Role.TEACHING_ASSISTANT, name="Amara Oakley")
    teacher = make_person(oakfield, Role.TEACHER, name="Tom Teacher")
    commuter = make_person(oakfield, Role.TEACHER, name="Cara Commuter")
    db.session.add(Membership(user_id=commuter.id, school_id=elm.id, role=Role.TEACHER, started_on=date(2024, 9, 1)))
    db.session.commit()
    elm_teacher = make_person(elm, Role.TEACHER, name="Elias Elmwood")
    entries = {
        "ta_essentials": complete(app, ta, oakfield, ESSENTIALS, date(2025, 10, 1)),
        "ta_other": complete(app, ta, oakfield, other_module, date(2026, 3, 1)),
        "teacher_essentials": complete(app, teacher, oakfield, ESSENTIALS, date(2025, 11, 5)),
        "commuter_at_elm": complete(app, commuter, elm, ESSENTIALS, date(2025, 12, 1)),
        "elm_teacher": complete(app, elm_teacher, elm, ESSENTIALS, date(2025, 10, 2)),
    }
    return {
        "oakfield": oakfield,
        "elm": elm,
        "head": head,
        "ta": ta,
        "teacher": teacher,
        "commuter": commuter,
        "elm_teacher": elm_teacher,
        "other_module": other_module,
        "entries": entries,
    }


def ask(client, **choices):
    page = client.get(FORM)
    assert page.status_code == 200
    data = {"csrf_token": csrf_token_from(page), "module": "", "role": ""}
    for name in ("completed_from", "completed_to"):
        day = choices.pop(name, None)
        data[name] = [str(day.day), str(day.month), str(day.year)] if day else ["", "", ""]
    data.update(choices)
    return client.post(FORM, data=data)


@pytest.fixture
def head_client(app, world):
    client = app.test_client()
    sign_in(client, world["head"])
    return client


def test_the_zip_holds_exactly_the_certificates_of_the_filter(app, world, head_client):
    ta, teacher, entries = world["ta"], world["teacher"], world["entries"]

    response = ask(head_client, module=ESSENTIALS)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert re.match(
        r'attachment; filename="certificates-\d+-\d{4}-\d\d-\d\d\.zip"', response.headers["Content-Disposition"]
    )
    files = zip_contents(response.data)
    # The commuter's certificate was issued at Elm and they share nothing; Elm's own teacher is never in it.
    assert sorted(files) == sorted([file_name(ta, ESSENTIALS), file_name(teacher, ESSENTIALS)])
    for person, entry in ((ta, entries["ta_essentials"]), (teacher, entries["teacher_essentials"])):
        data = files[file_name(person, ESSENTIALS)]
        assert data.startswith(b"%PDF")
        words = pdf_text(data)
        assert person.name in words and certificates.code_for(entry) in words
        assert "Oakfield Primary School" in words and "Elm Academy" not in words

    by_role = zip_contents(ask(head_client, role=Role.TEACHING_ASSISTANT.value).data)
    assert sorted(by_role) == sorted([file_name(ta, ESSENTIALS), file_name(ta, world["other_module"])])

    by_dates = zip_contents(ask(head_client, completed_from=date(2025, 10, 2), completed_to=date(2026, 2, 28)).data)
    assert sorted(by_dates) == [file_name(teacher, ESSENTIALS)]


def test_a_shared_certificate_from_another_school_is_in_without_naming_it(app, world, head_client):
    commuter = world["commuter"]
    sharing.set_sharing(commuter, world["oakfield"].id, True)
    db.session.commit()

    files = zip_contents(ask(head_client, module=ESSENTIALS).data)
    assert file_name(commuter, ESSENTIALS) in files
    assert file_name(world["elm_teacher"], ESSENTIALS) not in files
    words = pdf_text(files[file_name(commuter, ESSENTIALS)])
    assert commuter.name in words and "Elm Academy" not in words
    assert certificates.code_for(world["entries"]["commuter_at_elm"]) in words


def test_a_voided_certificate_is_left_out(app, world, head_client):
    ta, entries = world["ta"], world["entries"]
    ledger.append_entry(
        user_id=ta.id,
        school_id=world["oakfield"].id,
        kind=ledger.EntryKind.CERTIFICATE_VOIDED,
        subject_id=ESSENTIALS,
        payload={"refers_to_entry": entries["ta_essentials"].id, "reason": "Issued in error"},
        recorded_by_id=world["head"].id,
    )
    db.session.commit()
    files = zip_contents(ask(head_client, module=ESSENTIALS).data)
    assert sorted(files) == [file_name(world["teacher"], ESSENTIALS)]


def test_an_end_date_before_the_start_is_refused_with_the_choices_kept(app, world, head_client):
    response = ask(head_client, module=ESSENTIALS, completed_from=date(2026, 3, 1), completed_to=date(2025, 9, 1))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "govuk-error-summary" in page and "The end date must be the same as or after the start date" in page
    assert "<title>Error: Download staff certificates" in page
    assert re.search(rf'<option[^>]*value="{ESSENTIALS}"[^>]*selected', page)
    assert 'value="2026"' in page and 'value="2025"' in page


def test_nothing_matching_is_said_on_the_form(app, world, head_client):
    response = ask(head_client, completed_from=date(2020, 1, 1), completed_to=date(2020, 1, 2))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "No certificates match these choices" in page


def test_a_tampered_role_is_refused(app, world, head_client):
    response = ask(head_client, role="la_officer")
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)


def _progress_seen_by_another_connection(bundle_id: int) -> tuple[int, int]:
    # A separate connection sees only what the worker committed: what the progress page would show.
    with db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT done, total FROM certificate_bundle WHERE id = :id"), {"id": bundle_id}
        ).one()
    return row.done, row.total


def test_a_big_request_is_built_in_the_background_with_its_progress(app, world, head_client, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "CERTIFICATE_ZIP_IN_REQUEST_LIMIT", 2)
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path))

    response = ask(head_client)
    assert response.status_code == 302
    progress_url = response.headers["Location"]
    bundle_id = int(progress_url.rsplit("/", 1)[1])
    page = head_client.get(progress_url).get_data(as_text=True)
    assert "0 of 3 certificates ready" in page and "Refresh" in page
    # Not ready: the download address leads back to the progress page.
    assert head_client.get(f"{progress_url}.zip").status_code == 302

    # Asking again for the same choices (a retry, a second tab) finds the same job.
    again = ask(head_client)
    assert again.headers["Location"] == progress_url
    assert db.session.scalar(select(func.count()).select_from(CertificateBundle)) == 1

    expected = sorted(
        [
            file_name(world["ta"], ESSENTIALS),
            file_name(world["ta"], world["other_module"]),
            file_name(world["teacher"], ESSENTIALS),
        ]
    )
    elm_teacher_id, elm_id = world["elm_teacher"].id, world["elm"].id
    seen = []
    make_pdf = certificate_bundles.certificate_pdf_of

    def watched(item):
        seen.append(_progress_seen_by_another_connection(bundle_id))
        return make_pdf(item)

    monkeypatch.setattr(certificate_bundles, "certificate_pdf_of", watched)
    result = app.test_cli_runner().invoke(args=["certificates", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "ready, 3 of 3" in result.output
    assert seen == [(0, 3), (1, 3), (2, 3)]

    page = head_client.get(progress_url).get_data(as_text=True)
    assert "All 3 certificates are ready" in page
    download = head_client.get(f"{progress_url}.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    files = zip_contents(download.data)
    assert sorted(files) == expected
    assert all(data.startswith(b"%PDF") for data in files.values())
    # Now that it is finished, the same choices start a new job.
    assert ask(head_client).headers["Location"] != progress_url

    # Another school's leader: 'not found', for the page and the file.
    elm_head = app.test_client()
    db.session.add(
        Membership(user_id=elm_teacher_id, school_id=elm_id, role=Role.HEADTEACHER, started_on=date(2024, 9, 1))
    )
    db.session.commit()
    sign_in(elm_head, db.session.get(User, elm_teacher_id))
    assert elm_head.get(progress_url).status_code == 404
    assert elm_head.get(f"{progress_url}.zip").status_code == 404

    # A day later the file is removed and the page says so.
    bundle = db.session.get(CertificateBundle, bundle_id)
    stored = certificate_bundles.bundle_path(bundle)
    assert stored.exists()
    assert certificate_bundles.remove_expired_bundles(now=utcnow() + timedelta(days=1, minutes=1)) >= 1
    assert not stored.exists()
    assert "This file was removed" in head_client.get(progress_url).get_data(as_text=True)
    assert head_client.get(f"{progress_url}.zip").status_code == 302


def test_a_failed_build_is_shown_and_can_be_asked_for_again(app, world, head_client, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "CERTIFICATE_ZIP_IN_REQUEST_LIMIT", 1)
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path))
    progress_url = ask(head_client, module=ESSENTIALS).headers["Location"]

    def broken(item):
        raise OSError("disk full")

    monkeypatch.setattr(certificate_bundles, "certificate_pdf_of", broken)
    bundle = certificate_bundles.build_next_bundle(app.extensions["catalogue"])
    assert bundle.status == "failed"
    assert "could not be prepared" in head_client.get(progress_url).get_data(as_text=True)
    assert list(tmp_path.rglob("*.zip")) == []
    assert ask(head_client, module=ESSENTIALS).headers["Location"] != progress_url


def test_staff_without_the_dashboard_may_not_ask(app, world):
    client = app.test_client()
    sign_in(client, world["teacher"])
    assert client.get(FORM).status_code == 403
