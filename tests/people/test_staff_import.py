"""Importing staff from a CSV file: the preview, row-by-row problems, applying once, re-importing
changing nothing, invitations through the outbox, and `flask import-staff`."""

from __future__ import annotations

import io
import re
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    InvitationStatus,
    Membership,
    MembershipInvitation,
    OutboxMessage,
    Role,
    StaffImport,
    User,
)
from app.people import staff_file, staff_import
from tests.conftest import csrf_token_from, sign_in

HEADER = "name,email,role,start_date\n"


def staff_csv(count: int, *, start: int = 1, domain: str = "import.example.org") -> str:
    # Roles a school administrator may give (a headteacher gives SENCO: see the test of that below).
    roles = ["teaching_assistant", "Teacher", "send governor", "governor"]
    lines = [
        f"Person {number:03d},person{number:03d}@{domain},{roles[number % len(roles)]},2025-09-01"
        for number in range(start, start + count)
    ]
    return HEADER + "\n".join(lines) + "\n"


@pytest.fixture
def admin_client(app, make_school, make_person):
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    return client, admin, school


def upload(client, content: str | bytes, filename: str = "staff.csv"):
    page = client.get("/school/people/import")
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/school/people/import",
        data={"csrf_token": csrf_token_from(page), "staff_file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def apply_from(client, preview) -> object:
    body = preview.get_data(as_text=True)
    reference = re.search(r'name="reference" type="hidden" value="([^"]+)"', body) or re.search(
        r'name="reference"[^>]*value="([^"]+)"', body
    )
    assert reference, "the preview offers no Import button"
    return client.post(
        "/school/people/import/apply",
        data={"csrf_token": csrf_token_from(preview), "reference": reference.group(1)},
    )


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_200_row_file_with_three_bad_rows_is_fixed_and_imported_once(admin_client):
    client, admin, _ = admin_client
    good = staff_csv(200)
    lines = good.splitlines()
    lines[5] = "Bad Email,not-an-email,teacher,2025-09-01"  # row 6
    lines[50] = "Bad Role,bad.role@import.example.org,caretaker,2025-09-01"  # row 51
    lines[120] = "Bad Date,bad.date@import.example.org,teacher,31/02/2025"  # row 121
    response = upload(client, "\n".join(lines) + "\n")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Fix the problems in the staff file" in body
    assert "Row 6: “not-an-email” is not an email address" in body
    assert "Row 51: “caretaker” is not a role here" in body
    assert "Row 121: “31/02/2025” is not a real date" in body
    assert 'href="#row-6"' in body and 'id="row-6"' in body
    assert "Import these people" not in body
    # Nothing is applied until the file is clean.
    assert count(User) == 1 and count(OutboxMessage) == 0 and count(StaffImport) == 0

    preview = upload(client, good)
    body = preview.get_data(as_text=True)
    assert "<title>Check the staff file" in body
    assert re.search(r"People to invite\s*</dt>\s*<dd[^>]*>\s*200", body)
    response = apply_from(client, preview)
    assert response.status_code == 302 and response.headers["Location"] == "/school/people/"
    assert "200 invitations sent" in client.get("/school/people/").get_data(as_text=True)
    assert count(User) == 201
    # Everyone imported is invited: they join the school when they accept.
    assert count(Membership) == 1 and count(MembershipInvitation) == 200
    invitations = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
    assert len(invitations) == 200
    send_governor = db.session.scalars(select(User).where(User.email == "person002@import.example.org")).one()
    [invitation] = db.session.scalars(
        select(MembershipInvitation).where(MembershipInvitation.user_id == send_governor.id)
    ).all()
    assert (invitation.role, invitation.started_on) == (Role.SEND_GOVERNOR, date(2025, 9, 1))
    imported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff_imported")).one()
    assert imported.actor_id == admin.id and imported.details["invited"] == 200
    # The uploaded file is emptied once applied: it is other people's details.
    assert db.session.scalars(select(StaffImport.csv_text)).one() == ""

    # The same Import button again (a double click, a second tab) imports nothing more.
    again = apply_from(client, preview)
    assert again.status_code == 302
    assert count(MembershipInvitation) == 200 and count(OutboxMessage) == 200

    # Re-importing the same file changes nothing.
    preview = upload(client, good)
    body = preview.get_data(as_text=True)
    assert "there is nothing to import" in body and "Import these people" not in body
    assert re.search(r"Rows already up to date\s*</dt>\s*<dd[^>]*>\s*200", body)
    assert count(MembershipInvitation) == 200 and count(OutboxMessage) == 200


def test_changes_in_a_file_are_previewed_then_applied(admin_client, make_person):
    client, _, school = admin_client
    existing = make_person(school, Role.TEACHER, email="existing@import.example.org", started_on=date(2024, 9, 1))
    elsewhere = make_person(None, email="elsewhere@import.example.org")
    content = (
        HEADER
        + "A Different Name,EXISTING@import.example.org,teacher,2024-01-04\n"
        + "A Different Name,existing@import.example.org,teaching_assistant,2025-09-01\n"
        + "Someone Else,elsewhere@import.example.org,governor,2025-09-01\n"
    )
    preview = upload(client, content)
    body = preview.get_data(as_text=True)
    assert "Start date 1 September 2024 becomes 4 January 2024" in body
    assert body.count("Already works here") == 1
    # A school's own people keep their own names; someone elsewhere is never named.
    assert f"Their name stays {existing.name}" in body and elsewhere.name not in body
    apply_from(client, preview)
    db.session.expire_all()
    roles = {(m.user_id, m.role): m.started_on for m in db.session.scalars(select(Membership))}
    assert roles[(existing.id, Role.TEACHER)] == date(2024, 1, 4)
    assert roles[(existing.id, Role.TEACHING_ASSISTANT)] == date(2025, 9, 1)
    # Someone with an account elsewhere is invited, not added: they join when they accept.
    assert (elsewhere.id, Role.GOVERNOR) not in roles
    invited = db.session.scalars(select(MembershipInvitation).where(MembershipInvitation.user_id == elsewhere.id))
    assert [(i.role, i.status) for i in invited] == [(Role.GOVERNOR, InvitationStatus.PENDING)]
    kinds = sorted(db.session.scalars(select(OutboxMessage.kind)))
    assert kinds == ["invitation", "role_added"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("full name,email address\nA,a@example.org\n", "The first row must name the columns"),
        ("", "The file is empty"),
        (HEADER, "The file has column names but no people"),
        (HEADER.encode() + "Zoë Müller,zoe@example.org,teacher,2025-09-01\n".encode("latin-1"), "not saved as UTF-8"),
        (b"PK\x03\x04 a spreadsheet workbook", "a spreadsheet workbook, not a CSV file"),
        (HEADER + '=HYPERLINK("http://x"),x@example.org,teacher,2025-09-01\n', "Row 2: the name starts with “=”"),
        (
            HEADER + "A,a@example.org,teacher,2025-09-01\nB,a@example.org,teacher,2025-09-02\n",
            "Row 3: it repeats row 2",
        ),
        (HEADER + "A,a@example.org,teacher,2025-09-01\nB,a@example.org,senco,2025-09-01\n", "different name for"),
        (HEADER + "A,a@example.org,la_officer,2025-09-01\n", "“la_officer” is not a role here"),
        (HEADER + "A,a@example.org,teacher\n", "Row 2: it has 3 cells but the first row has 4"),
        (HEADER + ",a@example.org,teacher,2025-09-01\n", "Row 2: enter the person's full name"),
    ],
)
def test_bad_files_name_each_problem_and_apply_nothing(admin_client, content, problem):
    client, _, _ = admin_client
    response = upload(client, content)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Fix the problems in the staff file" in body
    assert problem in body.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"'), body[:3000]
    assert count(User) == 1 and count(StaffImport) == 0


def test_a_file_of_10000_rows_is_refused_quickly(admin_client):
    client, _, _ = admin_client
    started = time.perf_counter()
    response = upload(client, staff_csv(10_000))
    elapsed = time.perf_counter() - started
    assert "The file has more than 5,000 people" in response.get_data(as_text=True)
    assert elapsed < 5, f"the preview took {elapsed:.1f}s"
    assert count(User) == 1


def test_a_5000_row_file_with_problems_stays_fast_and_lists_the_first_problems(admin_client):
    client, _, _ = admin_client
    lines = staff_csv(5_000).splitlines()
    for number in range(1, 5_001, 25):
        lines[number] = lines[number].replace("@import", "@@import")
    started = time.perf_counter()
    response = upload(client, "\n".join(lines))
    elapsed = time.perf_counter() - started
    body = response.get_data(as_text=True)
    assert elapsed < 10, f"the preview took {elapsed:.1f}s"
    assert "Row 2: " in body and "And 100 more problems" in body


def test_no_file_is_an_error_with_the_summary(admin_client):
    client, _, _ = admin_client
    page = client.get("/school/people/import")
    response = client.post("/school/people/import", data={"csrf_token": csrf_token_from(page)})
    body = response.get_data(as_text=True)
    assert "<title>Error: Import staff from a file" in body and "Select a CSV file" in body


def test_the_template_downloads_and_imports_cleanly(app, admin_client):
    client, _, school = admin_client
    page = client.get("/school/people/import")
    response = client.post("/school/people/import/template", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    plan = staff_import.plan_import(school, response.data)
    assert plan.is_clean and plan.count(staff_file.Outcome.INVITE) == 2


def test_another_schools_upload_is_not_found(app, admin_client, make_school, make_person):
    client, _, _ = admin_client
    other_school = make_school()
    other_admin = make_person(other_school, Role.SCHOOL_ADMIN)
    other = app.test_client()
    sign_in(other, other_admin)
    preview = upload(other, staff_csv(2))
    reference = re.search(r'name="reference"[^>]*value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    page = client.get("/school/people/import")
    response = client.post(
        "/school/people/import/apply", data={"csrf_token": csrf_token_from(page), "reference": reference}
    )
    assert response.status_code == 404
    assert count(Membership) == 2


def test_import_staff_command_with_a_progress_bar(app, make_school, tmp_path):
    school = make_school()
    path = tmp_path / "staff.csv"
    path.write_text(staff_csv(30))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-staff", str(path), "--school", school.urn, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "30 to invite" in dry.output and count(User) == 0

    result = runner.invoke(args=["import-staff", str(path), "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert f"Importing into {school.name}" in result.output
    assert "30 invitations sent" in result.output
    assert count(User) == 30 and count(OutboxMessage) == 30
    invitation = db.session.scalars(select(OutboxMessage)).first()
    assert f"{school.name} has invited you" in invitation.body_text

    again = runner.invoke(args=["import-staff", str(path), "--school", school.urn])
    assert "0 invitations sent" in again.output and "30 rows already up to date" in again.output
    assert count(User) == 30 and count(OutboxMessage) == 30


def test_import_staff_command_refuses_a_bad_file_or_school(app, make_school, tmp_path):
    school = make_school()
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "A,not-an-email,teacher,2025-09-01\n")
    result = app.test_cli_runner().invoke(args=["import-staff", str(path), "--school", school.urn])
    assert result.exit_code != 0
    assert "PROBLEM Row 2:" in result.output and "Nothing imported" in result.output
    assert count(User) == 0
    result = app.test_cli_runner().invoke(args=["import-staff", str(path), "--school", "000000"])
    assert result.exit_code != 0 and "No school with the URN 000000" in result.output
