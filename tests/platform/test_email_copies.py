"""Copies of email shown on screen or downloaded: no working sign-in link, and in a subject access
download nothing about anyone else (nor where files are kept on the server)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.learning import assignments
from app.models import EvidenceFile, Membership, OutboxMessage, Role, User
from app.people import invitations, joining, subject_access
from tests.conftest import csrf_token_from, sign_in
from tests.records.test_cpd import PDF, external_form

LINK_REMOVED = "[link removed: it signs in whoever holds it]"


def post_form(client, url, data, *, page_url=None):
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


# --- finding 6: sign-in links on screen ----------------------------------------------------------


def test_finding_6_emails_we_have_sent_you_shows_sign_in_links_removed(app, make_school, make_person):
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    with app.test_request_context():
        invitations.invite(
            school=school,
            email_address="linda.link@example.org",
            name="Linda Link",
            role=Role.TEACHER,
            started_on=date.today(),
            invited_by=admin,
        )
        db.session.commit()
    invitation = db.session.scalars(select(OutboxMessage)).one()
    invitation_link = "/" + invitation.body_text.split("http://localhost/", 1)[1].split()[0]
    # Linda chooses a password from her invitation, and is signed in.
    linda = app.test_client()
    response = post_form(linda, invitation_link, {"password": "maple river lantern", "confirm": "maple river lantern"})
    assert response.status_code == 302
    # Then someone asks for a password reset for her account.
    post_form(app.test_client(), "/forgot-password", {"email": "linda.link@example.org"})
    bodies = [message.body_text for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    tokens = [body.split("-password/", 1)[1].split()[0] for body in bodies]
    assert len(tokens) == 2

    page = linda.get("/training/emails").get_data(as_text=True)
    assert "Reset your SEND Ready password" in page and "You have been invited" in page
    assert page.count(LINK_REMOVED) == 2
    for token in tokens:
        assert token not in page
    assert "set-password/" not in page and "reset-password/" not in page
    # The reset link still works for whoever has the email.
    reset_link = "/reset-password/" + tokens[1]
    assert app.test_client().get(reset_link).status_code == 200

    # Her download shows them the same way (one function takes links out wherever a copy is shown).
    files = unzip(subject_access.export_person(db.session.get(User, invitation.user_id)))
    everything = "".join(files.values())
    assert not any(token in everything for token in tokens)
    assert [LINK_REMOVED in row["body_text"] for row in json.loads(files["outbox_message.json"])] == [True, True]


# --- finding 7: the subject access download ------------------------------------------------------


@pytest.fixture
def evidence_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


def test_finding_7_subject_access_leaves_out_file_paths_and_other_peoples_names(
    app, evidence_dir, make_school, make_person
):
    home_school = make_school("Oak Tree School")
    other_school = make_school("Birch Hill School")
    teacher = make_person(home_school, Role.TEACHER, name="Tilly Teacher", email="tilly@example.org")
    head = make_person(other_school, Role.HEADTEACHER, name="Hattie Headley", email="hattie@example.org")
    catalogue = app.extensions["catalogue"]
    with app.test_request_context():
        # Hattie invites Tilly to her school (Tilly has an account: the invitation names Hattie), Tilly
        # accepts, and Hattie assigns her training (the email names Hattie too).
        invitations.invite(
            school=other_school,
            email_address=teacher.email,
            name=teacher.name,
            role=Role.TEACHER,
            started_on=date.today(),
            invited_by=head,
        )
        joining.accept(db.session.get(User, teacher.id), other_school.id)
        assignments.assign_training(
            catalogue=catalogue,
            school=other_school,
            module_ids=[next(iter(catalogue.modules))],
            user_id=teacher.id,
            role=None,
            due_on=date.today() + timedelta(days=30),
            note=None,
            assigned_by=head,
            once_key="once",
        )
        db.session.commit()
    # An email written before the copy without other people's names was kept.
    db.session.add(
        OutboxMessage(
            kind="role_added",
            user_id=teacher.id,
            school_id=home_school.id,
            to_address=teacher.email,
            subject="You have a new role",
            body_text="Hello Tilly Teacher,\n\nHoratio Older has added you.\n",
        )
    )
    db.session.commit()
    # Tilly records external CPD with an evidence file.
    client = app.test_client()
    sign_in(client, teacher)
    page = client.get("/cpd/external/new")
    response = client.post(
        "/cpd/external/new",
        data=external_form(page, evidence=(io.BytesIO(PDF), "certificate.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    stored = db.session.scalars(select(EvidenceFile)).one()
    assert (evidence_dir / stored.storage_path).exists()
    # The email as sent names Hattie: it is Tilly's email, and she sees it as sent.
    sent = {
        m.kind: m.body_text
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.school_id == other_school.id))
    }
    assert "Hattie Headley" in sent["invitation"] and "Hattie Headley" in sent["training_assigned"]
    assert "Hattie Headley" in client.get("/training/emails").get_data(as_text=True)

    membership = db.session.scalars(
        select(Membership).where(Membership.user_id == teacher.id, Membership.school_id == other_school.id)
    ).one()
    assert membership is not None
    downloads = {
        "own": unzip(subject_access.export_person(db.session.get(User, teacher.id))),
        "Birch Hill's": unzip(subject_access.export_person(db.session.get(User, teacher.id), school=other_school)),
    }
    for which, files in downloads.items():
        everything = "".join(files.values())
        assert "Hattie" not in everything and "Headley" not in everything and "Horatio" not in everything, which
        assert stored.storage_path not in everything, which
        assert all("storage_path" not in row for row in json.loads(files["evidence_file.json"])), which
        assert "storage_path" not in files["evidence_file.csv"].splitlines()[0], which
        assert "body_text_for_subject_access" not in everything, which
        messages = {
            row["kind"]: row["body_text"]
            for row in json.loads(files["outbox_message.json"])
            if row["school_id"] == other_school.id
        }
        assert (
            "[another person] has invited you to join Birch Hill School on SEND Ready as teacher"
            in messages["invitation"]
        )
        assert "[another person] at Birch Hill School has asked you" in messages["training_assigned"]
    own_messages = json.loads(downloads["own"]["outbox_message.json"])
    older = next(m for m in own_messages if m["subject"] == "You have a new role")
    assert older["body_text"] == subject_access.EXPORTED_FROM_MISSING
    # The person's own evidence file is still described (its name, type, size and hash).
    [evidence_row] = json.loads(downloads["own"]["evidence_file.json"])
    assert evidence_row["original_filename"] == "certificate.pdf" and evidence_row["sha256"]


def test_an_email_subject_may_not_name_another_person(app):
    from app.platform import email

    with app.test_request_context(), pytest.raises(ValueError, match="subject"):
        email.queue_email(
            kind="password_reset",
            to="x@example.org",
            template="invitation",
            school_id=None,
            name="X",
            school=email.AnotherPerson("Someone Else"),
            role="Teacher",
            inviter="A school",
            link="http://localhost/",
            days=7,
        )
    db.session.rollback()
