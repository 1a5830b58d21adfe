"""Policies staff must read: published as a PDF or in writing, acknowledged on the ledger with the
version's hash, asked again for a new version, and shown to leaders and the board."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import LedgerEntry, Role
from app.records.ledger import verify_person
from tests.conftest import csrf_token_from, sign_in

POLICY_TEXT = "## Our SEND policy\n\nEvery teacher is a teacher of every pupil, including those with SEND."
# A small, real PDF: header, one empty page, cross-reference table and end-of-file marker.
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n"
)


@pytest.fixture
def school_people(app, make_school, make_person):
    school = make_school()
    people = {
        "head": make_person(school, Role.HEADTEACHER),
        "ta": make_person(school, Role.TEACHING_ASSISTANT, name="Tessa Assistant"),
        "teacher": make_person(school, Role.TEACHER, name="Theo Teacher"),
        "governor": make_person(school, Role.GOVERNOR),
    }
    clients = {}
    for name, person in people.items():
        clients[name] = app.test_client()
        sign_in(clients[name], person)
    return school, people, clients


def publish_policy(client, *, title="SEND policy", text=POLICY_TEXT, pdf=None, roles=("teaching_assistant", "teacher")):
    page = client.get("/school-content/policies/new")
    data = MultiDict(
        {
            "csrf_token": csrf_token_from(page),
            "title": title,
            "text": text or "",
        }
    )
    for role in roles:
        data.add("roles", role)
    for part in ("30", "6", "2030"):
        data.add("read_by", part)
    if pdf is not None:
        data["file"] = (io.BytesIO(pdf), "our policy.pdf")
    return client.post("/school-content/policies/new", data=data, content_type="multipart/form-data")


def policy_id_from(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/policies/(\d+)$", response.headers["Location"]).group(1))


def acknowledge(client, policy_id, confirm=True):
    url = f"/school-content/policies/{policy_id}/read"
    data = {"csrf_token": csrf_token_from(client.get(url))}
    if confirm:
        data["confirm"] = "read"
    return client.post(url, data=data)


def acknowledgements_of(user_id):
    db.session.expire_all()
    return db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == "policy_acknowledged")
    ).all()


def test_a_written_policy_is_read_acknowledged_once_and_asked_again_for_a_new_version(app, school_people):
    school, people, clients = school_people
    policy_id = policy_id_from(publish_policy(clients["head"]))

    home = clients["ta"].get("/home").get_data(as_text=True)
    assert "Policies to read" in home and "SEND policy" in home and "To read" in home
    assert "Policies to read" not in clients["governor"].get("/home").get_data(as_text=True)

    reading = clients["ta"].get(f"/school-content/policies/{policy_id}/read").get_data(as_text=True)
    assert "Every teacher is a teacher of every pupil" in reading
    assert "I have read and understood SEND policy" in reading

    refused = acknowledge(clients["ta"], policy_id, confirm=False)
    assert refused.status_code == 200 and "There is a problem" in refused.get_data(as_text=True)
    assert acknowledgements_of(people["ta"].id) == []

    assert acknowledge(clients["ta"], policy_id).status_code == 302
    assert acknowledge(clients["ta"], policy_id).status_code == 302  # a retry records nothing more
    entries = acknowledgements_of(people["ta"].id)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.school_id == school.id
    assert entry.subject_version == hashlib.sha256(POLICY_TEXT.encode()).hexdigest()
    assert entry.payload == {
        "title": "SEND policy",
        "version": 1,
        "statement": "I have read and understood SEND policy",
    }
    assert verify_person(people["ta"].id) is None  # the chain is intact
    assert "Read" in clients["ta"].get("/home").get_data(as_text=True)
    record = clients["ta"].get("/cpd/").get_data(as_text=True)
    assert "School policy read and acknowledged" in record

    dashboard = clients["head"].get("/leaders/staff-training").get_data(as_text=True)
    assert "SEND policy, version 1: 1 of 2 acknowledged" in dashboard
    assert "Not yet acknowledged (read by 30 June 2030): Theo Teacher" in dashboard
    board = clients["head"].get("/leaders/board-report").get_data(as_text=True)
    assert "School policies read and acknowledged" in board and "1 of 2" in board
    # The policy counts name nobody; the report as governors read it names no member of staff at all.
    policies_part = board.split("School policies read and acknowledged", 1)[1].split("</table>", 1)[0]
    assert "Theo Teacher" not in policies_part
    assert "Theo Teacher" not in clients["governor"].get("/leaders/board-report").get_data(as_text=True)

    # A new version asks again.
    page = clients["head"].get(f"/school-content/policies/{policy_id}")
    new_text = POLICY_TEXT + "\n\nUpdated for September."
    response = clients["head"].post(
        f"/school-content/policies/{policy_id}", data={"csrf_token": csrf_token_from(page), "text": new_text}
    )
    assert response.status_code == 302
    home = clients["ta"].get("/home").get_data(as_text=True)
    assert "To read" in home
    dashboard = clients["head"].get("/leaders/staff-training").get_data(as_text=True)
    assert "SEND policy, version 2: 0 of 2 acknowledged" in dashboard
    assert acknowledge(clients["ta"], policy_id).status_code == 302
    versions = [entry.subject_version for entry in acknowledgements_of(people["ta"].id)]
    assert versions == [hashlib.sha256(POLICY_TEXT.encode()).hexdigest(), hashlib.sha256(new_text.encode()).hexdigest()]


def test_a_pdf_policy_is_stored_checked_and_served(app, school_people, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path)
    _, people, clients = school_people
    policy_id = policy_id_from(publish_policy(clients["head"], title="Accessibility plan", text="", pdf=MINIMAL_PDF))
    response = clients["ta"].get(f"/school-content/policies/{policy_id}/file")
    assert response.status_code == 200
    assert response.data == MINIMAL_PDF
    assert response.mimetype == "application/pdf"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert acknowledge(clients["ta"], policy_id).status_code == 302
    assert acknowledgements_of(people["ta"].id)[0].subject_version == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert len(list(tmp_path.rglob("*.pdf"))) == 1


@pytest.mark.parametrize(
    ("pdf", "text", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "", "The selected file must be a PDF"),
        (b"%PDF-1.4\nno end marker", "", "The selected file must be a PDF"),
        (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024) + b"\n%%EOF\n", "", "The PDF must be 5 MB or smaller"),
        (MINIMAL_PDF, "Some text too", "Choose a PDF or write the text, not both"),
        (None, "", "Enter the policy&#39;s text, or choose a PDF"),
    ],
)
def test_what_cannot_be_published_is_refused_with_the_title_kept(app, school_people, tmp_path, pdf, text, message):
    app.config["EVIDENCE_DIR"] = str(tmp_path)
    _, _, clients = school_people
    response = publish_policy(clients["head"], title="Kept title", text=text, pdf=pdf)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and message in html
    assert 'value="Kept title"' in html
    assert list(tmp_path.rglob("*.pdf")) == []


def test_another_schools_policy_is_not_found(app, school_people, make_school, make_person):
    _, _, clients = school_people
    policy_id = policy_id_from(publish_policy(clients["head"]))
    other = make_school()
    outsider = app.test_client()
    sign_in(outsider, make_person(other, Role.HEADTEACHER))
    for url in ("", "/read", "/file"):
        assert outsider.get(f"/school-content/policies/{policy_id}{url}").status_code == 404
    assert "SEND policy" not in outsider.get("/home").get_data(as_text=True)
    assert clients["ta"].get("/school-content/policies").status_code == 403
