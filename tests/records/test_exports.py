"""Taking the CPD record away: CSV (safe in spreadsheets), the PDF statement, and JSON from the API."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.learning import module_progress
from app.models import ModuleProgress, Role
from app.platform import spreadsheets
from app.records.terms import academic_year_of
from tests.conftest import sign_in
from tests.records.test_cpd import add_external, entries_of

MODULE = "send-essentials"
DANGEROUS = {
    "title": '=HYPERLINK("http://evil.example","Click")',
    "provider": "+44 20 7946 0000",
    "reflection": "@SUM(A1:A9) and -2+3",
}


@pytest.fixture(autouse=True)
def evidence_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path / "evidence"))


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary School")


@pytest.fixture
def teacher(app, school, make_person):
    person = make_person(school, Role.TEACHER, name="Tess Teacher")
    client = app.test_client()
    sign_in(client, person)
    return client, person


def complete(app, user, school):
    module = app.extensions["catalogue"].modules[MODULE]
    progress = ModuleProgress(user_id=user.id, module_id=module.id, reading_version=module.version, pages_read=[])
    db.session.add(progress)
    module_progress.record_module_completion(user_id=user.id, school_id=school.id, module=module, progress=progress)
    db.session.commit()
    return module


def rows_of(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


# ---- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Plain words", "Plain words"),
        ("1.5", "1.5"),
        ("", ""),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value, safe):
    assert spreadsheets.spreadsheet_safe(value) == safe


def test_the_csv_holds_the_record_with_formulas_neutralised(app, teacher, school):
    client, person = teacher
    module = complete(app, person, school)
    assert add_external(client, hours="2", **DANGEROUS).status_code == 302
    response = client.get("/cpd/record.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="cpd-record.csv"'
    rows = rows_of(response)
    # Oldest first: the course (October 2025) before the module completed today.
    assert [row["Kind"] for row in rows] == ["External CPD", "SEND Ready module"]
    external, completed = rows
    assert completed["Title"] == module.title and completed["Status"] == "Completed"
    assert external["Title"] == "'" + DANGEROUS["title"]
    assert external["Hours"] == "2" and external["Status"] == "Awaiting verification"
    assert "Provider: +44 20 7946 0000" in external["Details"]  # only a cell's first character matters
    assert external["Details"].startswith("Provider")
    # No cell in the whole file starts with a formula character.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_a_field_that_starts_a_cell_is_neutralised(teacher):
    client, _ = teacher
    add_external(client, title="-Negative thinking and how to challenge it")
    [row] = rows_of(client.get("/cpd/record.csv"))
    assert row["Title"] == "'-Negative thinking and how to challenge it"


def test_the_csv_follows_the_filters(teacher):
    client, _ = teacher
    add_external(client, title="Last year", activity_date=["2", "3", "2025"])
    add_external(client, title="This year", activity_date=["2", "10", "2025"])
    response = client.get("/cpd/record.csv?year=2025")
    assert response.headers["Content-Disposition"] == 'attachment; filename="cpd-record-2025-to-2026.csv"'
    assert [row["Title"] for row in rows_of(response)] == ["This year"]
    assert [row["Academic year"] for row in rows_of(client.get("/cpd/record.csv"))] == [
        "2024 to 2025",
        "2025 to 2026",
    ]


# ---- the PDF statement ----------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The PDF's text, with line breaks (table cells wrap) as single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_the_statement_pdf_summarises_the_record(app, teacher, school):
    client, person = teacher
    module = complete(app, person, school)
    add_external(
        client,
        title="NPQ for SENCOs",
        provider="Best Practice Network",
        activity_date=["1", "9", "2025"],
        hours="0",
        category="qualification",
        qualification_kind="npq_senco",
        qualification_status="enrolled",
    )
    add_external(client, title="Attachment and trauma", hours="3", category="in_house_training")
    response = client.get("/cpd/statement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "CPD statement: Tess Teacher" in text and "Oakfield Primary School" in text
    assert "Record verified" in text
    assert "Mandatory SENCO qualification" in text and "Best Practice Network" in text
    assert module.title in text and "Attachment and trauma" in text and "In-house training" in text
    assert "Awaiting verification" in text


def test_the_statement_can_cover_one_academic_year(teacher):
    client, _ = teacher
    add_external(client, title="Older course", activity_date=["2", "3", "2025"])
    add_external(client, title="Newer course", activity_date=["2", "10", "2025"])
    response = client.get("/cpd/statement.pdf?year=2025")
    assert response.headers["Content-Disposition"] == 'attachment; filename="cpd-statement-2025-to-2026.pdf"'
    text = pdf_text(response.data)
    assert "Academic year 2025 to 2026" in text and "Newer course" in text and "Older course" not in text


def test_a_statement_is_rendered_without_fetching_anything(teacher):
    client, _ = teacher
    add_external(
        client, title='<img src="file:///etc/passwd"> <link rel="stylesheet" href="http://evil.example/x.css">'
    )
    text = pdf_text(client.get("/cpd/statement.pdf").data)
    assert '<img src="file:///etc/passwd">' in text  # shown as text, not loaded
    assert "root:" not in text


# ---- JSON through the API -------------------------------------------------------------------------


def test_the_api_gives_your_record_as_json(app, teacher, school):
    client, person = teacher
    module = complete(app, person, school)
    add_external(client, hours="1.5", activity_date=["14", "10", "2025"])
    response = client.get("/api/v1/me/cpd")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["person"] == {"name": "Tess Teacher"}
    assert data["record_verified"] is True
    assert data["total_minutes"] == 90 + module.minutes
    entries = {entry["kind"]: entry for entry in data["entries"]}
    external = entries["external_cpd_recorded"]
    assert external["minutes"] == 90 and isinstance(external["minutes"], int)
    assert external["date"] == "2025-10-14" and external["academic_year"] == 2025
    assert external["status"] == "Awaiting verification" and external["category"] == "course"
    assert {"label": "Provider", "value": "Demo Borough Council"} in external["details"]
    assert entries["module_completed"]["title"] == module.title
    expected = {2025: 90}
    this_year = academic_year_of(date.today())  # the module was completed today
    expected[this_year] = expected.get(this_year, 0) + module.minutes
    totals = {total["academic_year"]: total for total in data["totals_by_academic_year"]}
    assert {year: total["minutes"] for year, total in totals.items()} == expected
    assert totals[2025]["label"] == "2025 to 2026"
    assert "email" not in response.get_data(as_text=True)


def test_the_api_filters_like_the_page(teacher):
    client, _ = teacher
    add_external(client, title="Last year", activity_date=["2", "3", "2025"])
    add_external(client, title="This year", activity_date=["2", "10", "2025"])
    data = client.get("/api/v1/me/cpd?year=2025").get_json()
    assert data["academic_year"] == 2025 and [entry["title"] for entry in data["entries"]] == ["This year"]
    assert client.get("/api/v1/me/cpd?kind=module_completed").get_json()["entries"] == []


def test_the_api_refuses_in_json(app, make_organisation, make_person):
    # A local authority officer keeps no CPD record of their own here.
    officer = make_person(None, Role.LA_OFFICER, organisation=make_organisation())
    client = app.test_client()
    sign_in(client, officer)
    response = client.get("/api/v1/me/cpd")
    assert response.status_code == 403
    assert response.get_json() == {"error": {"status": 403, "message": "Forbidden"}}


def test_entries_leave_the_ledger_untouched(teacher):
    client, person = teacher
    add_external(client)
    before = [(entry.id, entry.entry_hash) for entry in entries_of(person.id)]
    client.get("/cpd/record.csv")
    client.get("/cpd/statement.pdf")
    client.get("/api/v1/me/cpd")
    assert [(entry.id, entry.entry_hash) for entry in entries_of(person.id)] == before
