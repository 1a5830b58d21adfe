"""The CPD record: reading it, external CPD with evidence, corrections, verification, and who sees what."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.demo.seed import load_demo_data
from app.extensions import db
from app.learning import module_progress
from app.models import EvidenceFile, LedgerEntry, ModuleProgress, Role, School, User
from app.records import cpd, evidence_files, external_cpd, ledger, reading, terms, writing
from app.records.ledger import EntryKind, verify_person
from tests.conftest import csrf_token_from, sign_in
from tests.support.ledger_tampering import tamper

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MODULE = "send-essentials"


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path, monkeypatch) -> Path:
    """Every test keeps its evidence files in a folder of its own."""
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")


@pytest.fixture
def teacher(app, school, make_person):
    person = make_person(school, Role.TEACHER, name="Tess Teacher")
    client = app.test_client()
    sign_in(client, person)
    return client, person


@pytest.fixture
def head(app, school, make_person):
    person = make_person(school, Role.HEADTEACHER, name="Hana Head")
    client = app.test_client()
    sign_in(client, person)
    return client, person


def hidden(response, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    if match is None:
        match = re.search(rf'value="([^"]*)"[^>]*name="{name}"', response.get_data(as_text=True))
    assert match, f"no {name} on the page"
    return match.group(1)


def external_form(page, **changes) -> dict:
    """What a browser posts for the add (or correct) form, filled in sensibly, with changes."""
    data = {
        "csrf_token": csrf_token_from(page),
        "once_key": hidden(page, "once_key"),
        "title": "Autism awareness for support staff",
        "provider": "Demo Borough Council",
        "activity_date": ["14", "10", "2025"],
        "hours": "1.5",
        "category": "course",
        "reflection": "I now plan visual timetables with the class teacher.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def add_external(client, **changes):
    page = client.get("/cpd/external/new")
    return client.post("/cpd/external/new", data=external_form(page, **changes), content_type="multipart/form-data")


def entries_of(user_id: int, kind: str | None = None) -> list[LedgerEntry]:
    db.session.expire_all()
    query = select(LedgerEntry).where(LedgerEntry.user_id == user_id).order_by(LedgerEntry.sequence)
    if kind:
        query = query.where(LedgerEntry.kind == kind)
    return list(db.session.scalars(query))


def complete_module(app, user, school, module_id=MODULE):
    """Complete the module as the curriculum does (the ledger entry and the progress row)."""
    module = app.extensions["catalogue"].modules[module_id]
    progress = module_progress.progress_for(user.id, [module.id]).get(module.id)
    if progress is None:
        progress = ModuleProgress(user_id=user.id, module_id=module.id, reading_version=module.version, pages_read=[])
        db.session.add(progress)
    entry = module_progress.record_module_completion(
        user_id=user.id, school_id=school.id, module=module, progress=progress
    )
    db.session.commit()
    return entry


def body(response) -> str:
    return response.get_data(as_text=True)


# ---- your record ----------------------------------------------------------------------------------


def test_a_learner_finds_their_empty_record_in_the_navigation(teacher):
    client, _ = teacher
    home = body(client.get("/home"))
    assert 'href="/cpd/">Your CPD record</a>' in home
    page = body(client.get("/cpd/"))
    assert '<h1 class="govuk-heading-l">Your CPD record</h1>' in page
    assert "Record verified" in page
    assert "No hours recorded yet" in page
    assert "There are no entries yet" in page


def test_the_record_shows_modules_quizzes_and_kinds_it_does_not_know(app, teacher, school):
    client, person = teacher
    complete_module(app, person, school)
    ledger.append_entry(
        user_id=person.id,
        kind=EntryKind.QUIZ_ATTEMPTED,
        subject_id=MODULE,
        payload={"attempt": 7, "score": 8, "total": 10, "pass_mark": 7, "passed": True, "title": "SEND essentials"},
        recorded_by_id=person.id,
    )
    ledger.append_entry(user_id=person.id, kind=EntryKind.SELF_ASSESSMENT_SUBMITTED, payload={"round": 3})
    db.session.commit()
    module = app.extensions["catalogue"].modules[MODULE]
    page = body(client.get("/cpd/"))
    assert module.title in page
    assert "Quiz: SEND essentials" in page and "8 out of 10" in page and "Passed" in page
    assert "Self-assessment" in page
    assert "Download certificate" in page
    assert "Record verified" in page and "All 3 entries" in page

    # A kind added by a later feature, with a payload this code has never seen, still reads sensibly.
    future = LedgerEntry(
        id=999,
        user_id=person.id,
        sequence=4,
        kind="badge_awarded",
        payload={"colour": "gold"},
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
        recorded_at=datetime(2026, 1, 5, tzinfo=UTC),
        entry_hash="x",
    )
    record = reading.build_record(person, entries=[future], names={})
    [entry] = record.entries
    assert (entry.title, entry.kind_label, entry.counted_minutes) == ("Badge awarded", "Badge awarded", 0)


# ---- adding external CPD --------------------------------------------------------------------------


def test_adding_external_cpd_with_evidence_end_to_end(teacher, evidence_dir):
    client, person = teacher
    page = client.get("/cpd/external/new")
    assert 'enctype="multipart/form-data"' in body(page)
    data = external_form(page, evidence=(io.BytesIO(PDF), "attendance certificate.pdf"))
    response = client.post("/cpd/external/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"] == "/cpd/"

    [entry] = entries_of(person.id)
    assert entry.kind == "external_cpd_recorded"
    assert entry.payload["minutes"] == 90 and isinstance(entry.payload["minutes"], int)
    assert entry.payload["date"] == "2025-10-14" and entry.payload["category"] == "course"
    assert "Tess" not in str(entry.payload) and person.email not in str(entry.payload)
    evidence = db.session.get(EvidenceFile, entry.payload["evidence"]["file_id"])
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest() == entry.payload["evidence"]["sha256"]
    assert evidence.original_filename == "attendance certificate.pdf"
    stored = evidence_dir / evidence.storage_path
    assert stored.read_bytes() == PDF and "attendance" not in stored.name
    assert verify_person(person.id) is None

    record = body(client.get("/cpd/"))
    assert "was added to your CPD record" in record
    assert "Autism awareness for support staff" in record and "Awaiting verification" in record
    assert "1.5" in record and "I now plan visual timetables" in record

    download = client.get(f"/cpd/entries/{entry.id}/evidence")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    # Nothing under the web root: the static folder has no evidence in it.
    assert not list(Path(client.application.static_folder).rglob("*.pdf"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours": "-2"}, "Hours must be 0 or more"),
        ({"hours": "5000"}, "Hours must be 1000 or fewer for one entry"),
        ({"hours": "lots"}, "Hours must be a number, like 1.5 or 6"),
        ({"hours": "0"}, "Hours must be more than 0"),
        ({"hours": ""}, "Enter the number of hours"),
        ({"activity_date": ["1", "1", str(date.today().year + 1)]}, "The date must be today or in the past"),
        ({"activity_date": ["31", "2", "2025"]}, "Enter a real date"),
        ({"title": ""}, "Enter the title of the training"),
        ({"category": None}, "Select the category"),
        ({"category": "qualification"}, "Select which qualification it is"),
        (
            {"category": "qualification", "qualification_kind": "npq_senco", "qualification_status": "completed"},
            "Enter the date you completed it",
        ),
        (
            {
                "category": "qualification",
                "qualification_kind": "npq_senco",
                "qualification_status": "completed",
                "completed_on": ["1", "9", "2025"],
            },
            "The date completed must be on or after the date you enrolled",
        ),
    ],
)
def test_bad_input_is_refused_with_the_input_kept_and_nothing_stored(teacher, evidence_dir, changes, message):
    client, person = teacher
    response = add_external(client, evidence=(io.BytesIO(PDF), "cert.pdf"), **changes)
    page = body(response)
    assert response.status_code == 200
    assert "There is a problem" in page and "<title>Error: Add external CPD" in page
    assert message in page
    # What the person typed is still there.
    if changes.get("title") != "":
        assert 'value="Autism awareness for support staff"' in page
    assert entries_of(person.id) == []
    assert db.session.scalars(select(EvidenceFile)).all() == []
    assert not evidence_dir.exists() or not any(evidence_dir.rglob("*.*"))


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "certificate.pdf"),
        (b"MZ\x90\x00 not really a picture", "photo.jpg"),
        (b"GIF89a......", "scan.png"),
    ],
)
def test_evidence_must_really_be_a_pdf_png_or_jpeg(teacher, content, name):
    client, person = teacher
    response = add_external(client, evidence=(io.BytesIO(content), name))
    assert response.status_code == 200
    assert "The evidence file must be a PDF, PNG or JPEG" in body(response)
    assert "choose the file again" in body(response)
    assert entries_of(person.id) == [] and db.session.scalars(select(EvidenceFile)).all() == []


@pytest.mark.parametrize(
    ("content", "name", "media_type"),
    [(PNG, "notes.txt", "image/png"), (JPEG, "scan", "image/jpeg"), (PDF, "letter.PDF", "application/pdf")],
)
def test_the_type_is_taken_from_the_content_not_the_name(teacher, content, name, media_type):
    client, person = teacher
    assert add_external(client, evidence=(io.BytesIO(content), name)).status_code == 302
    [evidence] = db.session.scalars(select(EvidenceFile)).all()
    assert evidence.media_type.value == media_type
    [entry] = entries_of(person.id)
    assert client.get(f"/cpd/entries/{entry.id}/evidence").mimetype == media_type


def test_an_oversized_upload_is_refused_with_413_and_nothing_stored(teacher, evidence_dir):
    client, person = teacher
    too_big = PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF))
    response = add_external(client, evidence=(io.BytesIO(too_big), "big.pdf"))
    assert response.status_code == 413
    page = body(response)
    assert "The evidence file must be 5 MB or smaller" in page
    assert 'value="Autism awareness for support staff"' in page
    assert entries_of(person.id) == [] and not evidence_dir.exists()

    # Exactly 5 MB is allowed.
    just_right = too_big[:-1]
    assert add_external(client, evidence=(io.BytesIO(just_right), "big.pdf")).status_code == 302
    [evidence] = db.session.scalars(select(EvidenceFile)).all()
    assert evidence.size_bytes == 5 * 1024 * 1024


def test_a_request_far_too_big_is_refused_before_it_is_read(teacher, evidence_dir):
    client, person = teacher
    huge = PDF + b"0" * (8 * 1024 * 1024)
    response = add_external(client, evidence=(io.BytesIO(huge), "huge.pdf"))
    assert response.status_code == 413
    page = body(response)
    assert "The file is too big" in page and "5 MB or smaller" in page
    assert 'href="/cpd/external/new"' in page
    assert entries_of(person.id) == [] and not evidence_dir.exists()
    # Other pages keep no such limit of their own: the cap is the upload forms'.
    assert client.get("/cpd/").status_code == 200


def test_the_same_form_sent_twice_at_once_records_once(app, teacher, on_postgresql, evidence_dir):
    if not on_postgresql:
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time, so the requests cannot overlap")
    client, person = teacher
    page = client.get("/cpd/external/new")
    results = []

    def send():
        data = external_form(page, evidence=(io.BytesIO(PDF), "cert.pdf"))
        results.append(client.post("/cpd/external/new", data=data, content_type="multipart/form-data"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [response.status_code for response in results] == [302] * 4
    assert len(entries_of(person.id)) == 1
    # One file kept, on disk and in the table: the others' copies were removed.
    assert len(db.session.scalars(select(EvidenceFile)).all()) == 1
    assert len(list(evidence_dir.rglob("*.pdf"))) == 1
    assert verify_person(person.id) is None


def test_a_retried_form_records_once(teacher):
    client, person = teacher
    page = client.get("/cpd/external/new")
    for _ in range(3):
        data = external_form(page, evidence=(io.BytesIO(PDF), "cert.pdf"))
        response = client.post("/cpd/external/new", data=data, content_type="multipart/form-data")
        assert response.status_code == 302
    assert len(entries_of(person.id)) == 1
    assert len(db.session.scalars(select(EvidenceFile)).all()) == 1
    # A new visit to the form is a new entry.
    assert add_external(client).status_code == 302
    assert len(entries_of(person.id)) == 2


def test_the_service_refuses_what_the_form_refuses(app, teacher):
    _, person = teacher
    details = external_cpd.ExternalCpdDetails(
        title="Course",
        provider="Provider",
        activity_date=date.today() + timedelta(days=1),
        minutes=60,
        category=terms.Category.COURSE,
    )
    with pytest.raises(external_cpd.ExternalCpdRefused, match="today or in the past"):
        writing.record_external_cpd(user_id=person.id, school_id=None, details=details, evidence=None, once_key="k")
    negative = external_cpd.ExternalCpdDetails(
        title="Course", provider="P", activity_date=date(2025, 1, 1), minutes=-5, category=terms.Category.COURSE
    )
    with pytest.raises(external_cpd.ExternalCpdRefused, match="Hours"):
        writing.record_external_cpd(user_id=person.id, school_id=None, details=negative, evidence=None, once_key="k")
    assert entries_of(person.id) == []


@pytest.mark.parametrize(
    ("typed", "minutes"), [("1.5", 90), ("2", 120), ("0.75", 45), ("0.01", 1), ("1000", 60000), ("0", 0)]
)
def test_hours_become_whole_minutes(typed, minutes):
    assert terms.minutes_from_hours(typed) == minutes


def test_minutes_read_back_as_hours():
    assert [terms.format_hours(m) for m in (90, 120, 45, 0, 1)] == ["1.5", "2", "0.75", "0", "0.02"]


# ---- the SENCO's qualification, verification and rejection ---------------------------------------


def test_a_senco_records_the_npq_and_the_headteacher_verifies_it(app, school, make_person, head):
    senco = make_person(school, Role.SENCO, Role.TEACHER, name="Sam Senco")
    senco_client = app.test_client()
    sign_in(senco_client, senco)
    prompt = body(senco_client.get("/cpd/"))
    assert "You have not recorded your mandatory SENCO qualification" in prompt

    response = add_external(
        senco_client,
        title="NPQ for SENCOs",
        provider="Best Practice Network",
        activity_date=["1", "9", "2025"],
        hours="0",
        category="qualification",
        qualification_kind="npq_senco",
        qualification_status="enrolled",
        evidence=(io.BytesIO(PDF), "enrolment.pdf"),
    )
    assert response.status_code == 302
    [original] = entries_of(senco.id)
    assert original.payload["qualification"] == {"kind": "npq_senco", "status": "enrolled", "completed_on": None}
    record = body(senco_client.get("/cpd/"))
    assert "Mandatory SENCO qualification" in record and "NPQ for SENCOs" in record
    assert "Awaiting verification" in record

    head_client, head_person = head
    waiting = body(head_client.get("/cpd/reviews"))
    assert "Sam Senco" in waiting and "NPQ for SENCOs" in waiting
    review_url = f"/cpd/staff-entries/{original.id}/review"
    page = head_client.get(review_url)
    assert "Best Practice Network" in body(page) and "Download the evidence file" in body(page)
    assert head_client.get(f"/cpd/staff-entries/{original.id}/evidence").data == PDF
    form = {
        "csrf_token": csrf_token_from(page),
        "once_key": hidden(page, "once_key"),
        "seen_version": hidden(page, "seen_version"),
        "decision": "verify",
        "comment": "Enrolment letter seen.",
    }
    assert head_client.post(review_url, data=form).status_code == 302
    assert head_client.post(review_url, data=form).status_code == 302  # a retry records nothing more

    decisions = entries_of(senco.id, "entry_verified")
    assert len(decisions) == 1
    [decision] = decisions
    assert decision.payload == {"refers_to_entry": original.id, "comment": "Enrolment letter seen."}
    assert decision.recorded_by_id == head_person.id and decision.user_id == senco.id
    assert verify_person(senco.id) is None

    record = body(senco_client.get("/cpd/"))
    assert "Verified" in record and "Verified by Hana Head" in record and "Enrolment letter seen." in record
    assert "There is nothing to verify" in body(head_client.get("/cpd/reviews"))


def test_a_rejection_needs_a_reason_and_stops_the_hours_counting(app, teacher, head):
    client, person = teacher
    add_external(client, hours="3")
    [entry] = entries_of(person.id)
    head_client, _ = head
    url = f"/cpd/staff-entries/{entry.id}/review"
    page = head_client.get(url)
    form = {
        "csrf_token": csrf_token_from(page),
        "once_key": hidden(page, "once_key"),
        "seen_version": hidden(page, "seen_version"),
        "decision": "reject",
        "comment": "",
    }
    refused = head_client.post(url, data=form)
    assert refused.status_code == 200 and "Say why you are rejecting it" in body(refused)
    assert entries_of(person.id, "entry_rejected") == []

    form["comment"] = "This was a staff meeting, not training."
    assert head_client.post(url, data=form).status_code == 302
    record = reading.build_record(person)
    assert record.find(entry.id).status is cpd.REJECTED
    assert record.total_minutes == 0
    page = body(client.get("/cpd/"))
    assert "Rejected" in page and "This was a staff meeting, not training." in page


def test_a_leader_cannot_verify_their_own_cpd(head):
    client, person = head
    add_external(client)
    [entry] = entries_of(person.id)
    page = client.get(f"/cpd/staff-entries/{entry.id}/review")
    assert page.status_code == 200 and "You cannot verify your own CPD" in body(page)
    response = client.post(
        f"/cpd/staff-entries/{entry.id}/review",
        data={"csrf_token": csrf_token_from(page), "decision": "verify", "once_key": "x" * 20, "seen_version": "1"},
    )
    assert response.status_code == 200
    assert entries_of(person.id, "entry_verified") == []
    assert "There is nothing to verify" in body(client.get("/cpd/reviews"))
    with pytest.raises(writing.CannotReviewOwn):
        writing.review_external_cpd(
            reviewer_id=person.id,
            school=None,
            record=reading.build_record(person),
            entry_id=entry.id,
            seen_version_id=entry.id,
            decision=terms.ReviewDecision.VERIFY,
            comment="",
            once_key="k" * 20,
        )


# ---- corrections ----------------------------------------------------------------------------------


def test_a_correction_is_a_new_entry_and_the_original_stays_visible(app, teacher, head, evidence_dir):
    client, person = teacher
    add_external(client, hours="3", evidence=(io.BytesIO(PDF), "cert.pdf"))
    [original] = entries_of(person.id)

    # The headteacher verifies it; then the teacher notices the hours were wrong.
    head_client, _ = head
    review = head_client.get(f"/cpd/staff-entries/{original.id}/review")
    head_client.post(
        f"/cpd/staff-entries/{original.id}/review",
        data={
            "csrf_token": csrf_token_from(review),
            "once_key": hidden(review, "once_key"),
            "seen_version": hidden(review, "seen_version"),
            "decision": "verify",
        },
    )
    page = client.get(f"/cpd/entries/{original.id}/correct")
    assert 'value="3"' in body(page)  # the form starts from the details as they are
    data = external_form(page, hours="2")
    response = client.post(f"/cpd/entries/{original.id}/correct", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    client.post(f"/cpd/entries/{original.id}/correct", data=data, content_type="multipart/form-data")  # a retry

    corrections = entries_of(person.id, "entry_corrected")
    assert len(corrections) == 1
    [correction] = corrections
    assert correction.payload["refers_to_entry"] == original.id and correction.payload["minutes"] == 120
    # The evidence carries over without being uploaded again.
    assert correction.payload["evidence"] == original.payload["evidence"]
    assert db.session.get(LedgerEntry, original.id).payload["minutes"] == 180  # never changed

    record = reading.build_record(person)
    assert record.find(original.id).status is cpd.CORRECTED
    assert record.find(correction.id).status is cpd.AWAITING_VERIFICATION  # verified details changed
    assert record.total_minutes == 120
    page = body(client.get("/cpd/"))
    assert "Corrected" in page and f"Entry {original.sequence}: Autism awareness" in page
    assert client.get(f"/cpd/entries/{correction.id}/evidence").data == PDF

    # Correcting again, removing the evidence: still one item, pointing at the original.
    page = client.get(f"/cpd/entries/{correction.id}/correct")
    data = external_form(page, hours="2.5", remove_evidence="y")
    client.post(f"/cpd/entries/{correction.id}/correct", data=data, content_type="multipart/form-data")
    latest = entries_of(person.id, "entry_corrected")[-1]
    assert latest.payload["refers_to_entry"] == original.id and latest.payload["evidence"] is None
    record = reading.build_record(person)
    assert record.total_minutes == 150 and len(record.external_items) == 1
    assert verify_person(person.id) is None


def test_a_reviewer_never_verifies_details_they_have_not_seen(app, teacher, head):
    client, person = teacher
    add_external(client)
    [original] = entries_of(person.id)
    head_client, _ = head
    review = head_client.get(f"/cpd/staff-entries/{original.id}/review")
    # The teacher corrects the entry while the headteacher is reading it.
    page = client.get(f"/cpd/entries/{original.id}/correct")
    client.post(
        f"/cpd/entries/{original.id}/correct",
        data=external_form(page, title="Autism awareness (two days)"),
        content_type="multipart/form-data",
    )
    form = {
        "csrf_token": csrf_token_from(review),
        "once_key": hidden(review, "once_key"),
        "seen_version": hidden(review, "seen_version"),
        "decision": "verify",
    }
    response = head_client.post(f"/cpd/staff-entries/{original.id}/review", data=form)
    assert response.status_code == 200
    assert "corrected after you opened it" in body(response) and "Autism awareness (two days)" in body(response)
    assert entries_of(person.id, "entry_verified") == []


def test_only_external_cpd_can_be_corrected(app, teacher, school):
    client, person = teacher
    completion = complete_module(app, person, school)
    assert client.get(f"/cpd/entries/{completion.id}/correct").status_code == 404


# ---- filters, totals and the chart ----------------------------------------------------------------


def test_filters_and_totals_by_academic_year_and_category(app, teacher, school):
    client, person = teacher
    add_external(client, title="Summer reading", activity_date=["31", "8", "2025"], hours="2", category="reading")
    add_external(client, title="Autumn course", activity_date=["1", "9", "2025"], hours="1.5", category="course")
    add_external(client, title="Autumn conference", activity_date=["20", "9", "2025"], hours="6", category="conference")
    complete_module(app, person, school)
    record = reading.build_record(person, today=date(2025, 12, 1))
    module_minutes = app.extensions["catalogue"].modules[MODULE].minutes
    by_year = {total.key: total.minutes for total in record.totals_by_year()}
    assert by_year[2024] == 120
    this_year = academic_year = terms.academic_year_of(date.today())
    assert by_year[2025] == 90 + 360 + (module_minutes if this_year == 2025 else 0)
    categories = {total.key: total.minutes for total in record.totals_by_category(2025)}
    assert categories["course"] == 90 and categories["conference"] == 360 and "reading" not in categories
    september = record.months(2025)[0]
    assert (september.label, september.minutes) == ("September 2025", 450)

    page = body(client.get("/cpd/?year=2025&kind=external_cpd_recorded"))
    assert "Autumn course" in page and "Autumn conference" in page and "Summer reading" not in page
    assert "Hours by category, the 2025 to 2026 academic year" in page
    assert '<option value="2025" selected>2025 to 2026</option>' in page
    assert '<th scope="row" class="govuk-table__header">September 2025</th>' in page
    assert "<svg" in page and 'aria-hidden="true"' in page
    page = body(client.get("/cpd/?year=2024"))
    assert "Summer reading" in page and "Autumn course" not in page
    # Nonsense in the query string is ignored, not an error.
    assert client.get("/cpd/?year=twenty&kind=<script>").status_code == 200
    assert academic_year in record.years


def test_a_record_that_was_tampered_with_is_not_shown_as_verified(teacher):
    client, person = teacher
    add_external(client, hours="2")
    [entry] = entries_of(person.id)
    tamper(
        [
            (
                "UPDATE ledger_entry SET payload = :payload WHERE id = :id",
                {"payload": '{"title": "Forged", "minutes": 6000}', "id": entry.id},
            )
        ]
    )
    page = body(client.get("/cpd/"))
    assert "Record verified" not in page
    assert "This record could not be verified: entry 1" in page


def test_a_swapped_evidence_file_is_not_served(teacher, evidence_dir):
    client, person = teacher
    add_external(client, evidence=(io.BytesIO(PDF), "cert.pdf"))
    [entry] = entries_of(person.id)
    [stored] = list(evidence_dir.rglob("*.pdf"))
    stored.write_bytes(b"%PDF-1.4 something else entirely")
    with client.skip_page_checks():
        assert client.get(f"/cpd/entries/{entry.id}/evidence").status_code == 404
    stored.unlink()
    assert client.get(f"/cpd/entries/{entry.id}/evidence").status_code == 404


def test_erasing_a_persons_evidence_removes_the_files_and_keeps_the_chain(teacher, evidence_dir):
    client, person = teacher
    add_external(client, evidence=(io.BytesIO(PDF), "cert.pdf"))
    assert evidence_files.delete_evidence_files(person.id) == 1
    db.session.commit()
    assert not list(evidence_dir.rglob("*.pdf"))
    assert db.session.scalars(select(EvidenceFile)).all() == []
    assert verify_person(person.id) is None


# ---- who sees whose record ------------------------------------------------------------------------


def test_leaders_read_their_staffs_records_read_only(app, teacher, head, make_person, school):
    client, person = teacher
    add_external(client, evidence=(io.BytesIO(PDF), "cert.pdf"))
    [entry] = entries_of(person.id)
    head_client, _ = head
    page = body(head_client.get(f"/cpd/people/{person.id}"))
    assert "CPD record: Tess Teacher" in page and "Autism awareness for support staff" in page
    assert "Add external CPD" not in page and "/correct" not in page
    assert f"/cpd/staff-entries/{entry.id}/review" in page
    assert head_client.get(f"/cpd/people/{person.id}/statement.pdf").data.startswith(b"%PDF")

    senco = make_person(school, Role.SENCO, name="Sid Senco")
    senco_client = app.test_client()
    sign_in(senco_client, senco)
    assert senco_client.get(f"/cpd/people/{person.id}").status_code == 200
    assert senco_client.get(f"/cpd/staff-entries/{entry.id}/evidence").data == PDF


@pytest.mark.parametrize("role", [Role.TEACHER, Role.TEACHING_ASSISTANT, Role.GOVERNOR, Role.SCHOOL_ADMIN])
def test_no_one_else_at_the_school_sees_a_record(app, teacher, make_person, school, role):
    client, person = teacher
    add_external(client, evidence=(io.BytesIO(PDF), "cert.pdf"))
    [entry] = entries_of(person.id)
    colleague = make_person(school, role)
    other = app.test_client()
    sign_in(other, colleague)
    assert other.get(f"/cpd/people/{person.id}").status_code == 403
    assert other.get(f"/cpd/staff-entries/{entry.id}/review").status_code == 403
    assert other.get(f"/cpd/staff-entries/{entry.id}/evidence").status_code == 403
    # Their own pages know nothing of it: someone else's entry is "not found".
    assert other.get(f"/cpd/entries/{entry.id}/evidence").status_code == 404
    assert other.get(f"/cpd/entries/{entry.id}/correct").status_code == 404
    assert "Autism awareness" not in body(other.get("/cpd/"))


def test_another_schools_leaders_get_not_found(app, teacher, make_school, make_person):
    client, person = teacher
    add_external(client, evidence=(io.BytesIO(PDF), "cert.pdf"))
    [entry] = entries_of(person.id)
    elsewhere = make_school("Riverside Academy")
    stranger = make_person(elsewhere, Role.HEADTEACHER)
    other = app.test_client()
    sign_in(other, stranger)
    for url in (
        f"/cpd/people/{person.id}",
        f"/cpd/people/{person.id}/statement.pdf",
        f"/cpd/staff-entries/{entry.id}/review",
        f"/cpd/staff-entries/{entry.id}/evidence",
        f"/cpd/entries/{entry.id}/evidence",
    ):
        assert other.get(url).status_code == 404, url
    page = other.get(f"/cpd/staff-entries/{entry.id}/review")
    response = other.post(
        f"/cpd/staff-entries/{entry.id}/review",
        data={"csrf_token": csrf_token_from(other.get("/cpd/")), "decision": "verify", "seen_version": entry.id},
    )
    assert page.status_code == response.status_code == 404
    assert entries_of(person.id, "entry_verified") == []
    assert "Tess Teacher" not in body(other.get("/cpd/reviews"))


def test_a_leaver_is_no_longer_the_schools_to_read(app, teacher, head, school):
    client, person = teacher
    add_external(client)
    for membership in person.memberships:
        membership.ended_on = date.today() - timedelta(days=1)
    db.session.commit()
    head_client, _ = head
    assert head_client.get(f"/cpd/people/{person.id}").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client):
    # (The API answers 401 instead: tests/test_review_small_items.py.)
    for url in ("/cpd/", "/cpd/external/new", "/cpd/reviews", "/cpd/record.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in"), url


# ---- queries that do not grow with the record -----------------------------------------------------


def test_pages_send_the_same_queries_for_a_long_record_and_a_big_school(app, school, make_person, head):
    """Each page's statements stay the same however many entries, people and leaders there are."""
    from tests.web.test_query_budget import counting_statements

    head_client, head_person = head
    people = [make_person(school, Role.TEACHER) for _ in range(6)]
    leaders = [head_person, make_person(school, Role.SENCO)]

    def add_entries(person, count):
        for number in range(count):
            details = external_cpd.ExternalCpdDetails(
                title=f"Course {number}",
                provider="Provider",
                activity_date=date(2025, 10, 1 + number),
                minutes=60,
                category=terms.Category.COURSE,
            )
            entry = writing.record_external_cpd(
                user_id=person.id, school_id=school.id, details=details, evidence=None, once_key=f"key-{number}-x" * 2
            )
            if number % 2:
                ledger.append_entry(
                    user_id=person.id,
                    kind=EntryKind.ENTRY_VERIFIED,
                    payload={"refers_to_entry": entry.id, "comment": ""},
                    recorded_by_id=leaders[(number // 2) % 2].id,
                )
        db.session.commit()

    def measure(person) -> dict[str, int]:
        counts = {}
        for url in (f"/cpd/people/{person.id}", "/cpd/reviews", f"/cpd/people/{person.id}/statement.pdf"):
            with counting_statements() as log:
                assert head_client.get(url).status_code == 200
            counts[url.replace(str(person.id), "<id>")] = log.count
        return counts

    add_entries(people[0], 2)  # one verified, by one leader
    few = measure(people[0])
    for person in people[1:]:
        add_entries(person, 8)  # four verified, by two leaders
    many = measure(people[1])
    assert few == many, (few, many)


# ---- the whole story, with the demo data ----------------------------------------------------------


def test_the_demo_senco_records_the_npq_gets_it_verified_and_takes_the_record_away(app, client, monkeypatch):
    """The SENCO records the NPQ as enrolled, the head verifies it, the SENCO downloads a certificate
    whose code checks on the public page, and exports the record as CSV, PDF and JSON."""
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-the-test")
    load_demo_data()
    db.session.commit()
    senco = db.session.scalars(select(User).where(User.email == "senco@oakfield.example.org")).one()
    head = db.session.scalars(select(User).where(User.email == "head@oakfield.example.org")).one()
    senco_client, head_client = app.test_client(), app.test_client()
    sign_in(senco_client, senco, "demo-password-for-the-test")
    sign_in(head_client, head, "demo-password-for-the-test")

    assert (
        add_external(
            senco_client,
            title="NPQ for SENCOs",
            provider="Best Practice Network",
            activity_date=["1", "9", "2025"],
            hours="0",
            category="qualification",
            qualification_kind="npq_senco",
            qualification_status="enrolled",
            evidence=(io.BytesIO(PDF), "enrolment letter.pdf"),
        ).status_code
        == 302
    )
    # The demo SENCO already has training on record; the NPQ is the one entry of external CPD.
    [npq] = entries_of(senco.id, "external_cpd_recorded")
    assert npq.payload["title"] == "NPQ for SENCOs"
    assert "NPQ for SENCOs" in body(head_client.get("/cpd/reviews"))
    assert "Mandatory SENCO qualification" in body(head_client.get(f"/cpd/people/{senco.id}"))
    review = head_client.get(f"/cpd/staff-entries/{npq.id}/review")
    form = {
        "csrf_token": csrf_token_from(review),
        "once_key": hidden(review, "once_key"),
        "seen_version": hidden(review, "seen_version"),
        "decision": "verify",
    }
    assert head_client.post(f"/cpd/staff-entries/{npq.id}/review", data=form).status_code == 302

    # The SENCO completes a module (as the curriculum records it) and downloads its certificate.
    complete_module(app, senco, db.session.get(School, npq.school_id))
    certificate = senco_client.get(f"/cpd/certificates/{MODULE}")
    text = " ".join(PdfReader(io.BytesIO(certificate.data)).pages[0].extract_text().split())
    code = re.search(r"Verification code: (\S+)", text).group(1)
    checked = body(client.get(f"/verify/{code}"))
    assert "This certificate is valid" in checked and senco.name in checked and "Oakfield Primary School" in checked

    csv_text = senco_client.get("/cpd/record.csv").get_data(as_text=True)
    assert "NPQ for SENCOs" in csv_text and "Verified" in csv_text
    statement = senco_client.get("/cpd/statement.pdf").data
    assert statement.startswith(b"%PDF")
    statement_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(statement)).pages)
    assert "NPQ for SENCOs" in statement_text and "Verified" in statement_text
    data = senco_client.get("/api/v1/me/cpd").get_json()
    assert {entry["kind"] for entry in data["entries"]} >= {
        "external_cpd_recorded",
        "entry_verified",
        "module_completed",
    }
    assert data["record_verified"] is True


def test_the_record_leads_with_totals_then_entries_and_keeps_months_behind_details(app, teacher, school):
    client, person = teacher
    complete_module(app, person, school)
    page = body(client.get("/cpd/"))
    totals, entries, months = (
        page.index('<dl class="govuk-summary-list app-cpd-totals">'),
        page.index('<h2 class="govuk-heading-m">Entries</h2>'),
        page.index("Hours by month,"),
    )
    assert totals < entries < page.index('id="entry-') < months
    # The twelve months (most of them empty on a new record) are folded away, after the entries.
    folded = page[page.index('<details class="govuk-details app-cpd-months">') :]
    assert folded.index("</details>") > folded.index("September")
