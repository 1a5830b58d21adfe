"""Subject access, erasure, retention and the audit log: every table that links to a person is in
the export, no secret and nothing about anyone else is, erasure keeps the ledger verifiable, and
`flask apply-retention` erases only what every school's policy allows."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.learning import assignments
from app.models import AccountToken, AuditEvent, Membership, OutboxMessage, RecoveryCode, Role, TokenPurpose, User
from app.models.quizzes import QuizAnswer, QuizAttempt
from app.people import accounts, erasure, invitations, joining, subject_access, two_step
from app.platform import audit
from app.platform.email import SIGN_IN_LINK_REMOVED
from app.records import ledger
from app.records.ledger import EntryKind
from app.self_assessment.models import (
    KeyQuestionReflection,
    SelfAssessmentAnswer,
    SelfAssessmentResponse,
    SelfAssessmentRound,
)
from tests.conftest import PASSWORD, csrf_token_from, sign_in

SIGN_IN_FAILED = "Enter a correct email address and password"


def post_form(client, url, data, *, page_url=None):
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def linked_tables() -> set[str]:
    """Every table with a foreign key to a person, read from the schema itself."""
    return {
        table.name
        for table in db.metadata.sorted_tables
        if any(key.column.table.name == "user_account" for column in table.columns for key in column.foreign_keys)
    }


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def rows_in(files: dict[str, str], table: str) -> list[dict]:
    return json.loads(files[f"{table}.json"])


def give_a_full_record(person: User, school, recorder: User) -> None:
    """Rows about the person in as many tables as this test can fill."""
    ledger.append_entry(
        user_id=person.id,
        school_id=school.id,
        kind=EntryKind.MODULE_COMPLETED,
        subject_id="module-a",
        payload={"minutes": 20},
        recorded_by_id=person.id,
    )
    attempt = QuizAttempt(
        user_id=person.id,
        school_id=school.id,
        module_id="module-a",
        quiz_version="v1",
        question_ids=["q1"],
        option_order={},
        total=1,
        pass_mark=1,
    )
    db.session.add(attempt)
    db.session.flush()
    db.session.add(QuizAnswer(attempt_id=attempt.id, question_id="q1", response={"chosen": "b"}))
    accounts.issue_token(person, TokenPurpose.PASSWORD_RESET)
    person.two_step_secret = two_step.new_secret()
    two_step.replace_recovery_codes(person)
    db.session.add(
        OutboxMessage(kind="invitation", user_id=person.id, to_address=person.email, subject="Hello", body_text="Hi")
    )
    audit.record_event("roles_changed", school_id=school.id, actor_id=recorder.id, subject_user_id=person.id)
    db.session.commit()


# --- subject access ------------------------------------------------------------------------------


def test_every_table_that_links_to_a_person_is_in_the_export(make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    person = make_person(school, Role.TEACHER)
    give_a_full_record(person, school, head)
    files = unzip(subject_access.export_person(person))
    tables = linked_tables()
    assert {"ledger_entry", "membership", "quiz_attempt", "outbox_message", "audit_event"} <= tables
    missing = sorted(table for table in tables if f"{table}.json" not in files or f"{table}.csv" not in files)
    assert not missing, f"tables linking to a person but missing from the export: {missing}"
    # The profile, and tables that hang off the person's own rows (their quiz answers).
    assert rows_in(files, "user_account")[0]["email"] == person.email
    assert rows_in(files, "quiz_answer")[0]["response"] == {"chosen": "b"}
    assert rows_in(files, "ledger_entry")[0]["subject_id"] == "module-a"
    assert "README.txt" in files
    # The CSV has the same rows as the JSON.
    reader = list(csv.DictReader(io.StringIO(files["membership.csv"])))
    assert [row["role"] for row in reader] == ["teacher"]


def test_secrets_are_never_exported(make_school, make_person):
    school = make_school()
    person = make_person(school, Role.HEADTEACHER)
    give_a_full_record(person, school, person)
    db.session.expire_all()
    stored = db.session.get(User, person.id)
    secrets_held = [
        stored.password_hash,
        stored.session_token,
        stored.two_step_secret,
        *db.session.scalars(select(AccountToken.token_hash)),
        *db.session.scalars(select(RecoveryCode.code_hash)),
    ]
    everything = "".join(unzip(subject_access.export_person(stored)).values())
    for secret in secrets_held:
        assert secret and secret not in everything
    for table, column in subject_access.DENIED_COLUMNS:
        assert column in db.metadata.tables[table].columns, f"the deny-list names {table}.{column}, which is gone"
        assert column not in {c.name for c in subject_access.exported_columns(db.metadata.tables[table])}


def test_columns_named_like_secrets_are_left_out_unless_cleared(make_school):
    for table in db.metadata.sorted_tables:
        exported = {column.name for column in subject_access.exported_columns(table)}
        for column in table.columns:
            looks_secret = subject_access.SECRET_LOOKING.search(column.name)
            if looks_secret and (table.name, column.name) not in subject_access.NOT_SECRET:
                assert column.name not in exported, f"{table.name}.{column.name} looks like a secret"
    assert "entry_hash" in {c.name for c in subject_access.exported_columns(db.metadata.tables["ledger_entry"])}


def test_nothing_about_anyone_else_is_exported(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER, name="Hattie Head", email="hattie.head@example.org")
    teacher = make_person(school, Role.TEACHER, name="Terence Teacher", email="terence@example.org")
    # The head recorded an entry in the teacher's ledger, invited them, and changed their roles.
    ledger.append_entry(
        user_id=teacher.id, school_id=school.id, kind=EntryKind.ENTRY_VERIFIED, payload={}, recorded_by_id=head.id
    )
    ledger.append_entry(user_id=head.id, school_id=school.id, kind=EntryKind.MODULE_COMPLETED, payload={})
    db.session.add(
        Membership(
            user_id=teacher.id, school_id=school.id, role=Role.SENCO, started_on=date(2025, 1, 1), invited_by_id=head.id
        )
    )
    audit.record_event("roles_changed", school_id=school.id, actor_id=head.id, subject_user_id=teacher.id)
    audit.record_event("leaver_marked", school_id=school.id, actor_id=teacher.id, subject_user_id=head.id)
    db.session.commit()

    files = unzip(subject_access.export_person(head))
    everything = "".join(files.values())
    assert "Terence" not in everything and "terence@example.org" not in everything
    assert {row["user_id"] for row in rows_in(files, "ledger_entry")} == {head.id}
    assert {row["user_id"] for row in rows_in(files, "membership")} == {head.id}
    # Events about the head are theirs (whoever did them); what the head did to others is not.
    assert [(row["action"], row["subject_user_id"]) for row in rows_in(files, "audit_event")] == [
        ("leaver_marked", head.id)
    ]


def test_a_person_downloads_their_own_data(app, make_school, make_person):
    school = make_school()
    teacher = make_person(school, Role.TEACHER, name="Dora Download")
    client = app.test_client()
    sign_in(client, teacher)
    page = client.get("/account/")
    assert "Download your data" in page.get_data(as_text=True)
    response = client.post("/account/your-data", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    files = unzip(response.data)
    assert rows_in(files, "user_account")[0]["name"] == "Dora Download"
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id, event.subject_user_id) == ("data_exported", teacher.id, teacher.id)


def test_a_school_downloads_a_persons_data_without_another_schools_records(app, make_school, make_person):
    school = make_school()
    other_school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    governor = make_person(school, Role.GOVERNOR)
    db.session.add(
        Membership(user_id=governor.id, school_id=other_school.id, role=Role.GOVERNOR, started_on=date(2024, 1, 1))
    )
    ledger.append_entry(user_id=governor.id, school_id=school.id, kind=EntryKind.MODULE_COMPLETED, payload={})
    ledger.append_entry(user_id=governor.id, school_id=other_school.id, kind=EntryKind.MODULE_COMPLETED, payload={})
    db.session.commit()
    client = app.test_client()
    sign_in(client, admin)
    page = client.get(f"/school/people/{governor.id}")
    response = client.post(f"/school/people/{governor.id}/download-data", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200
    files = unzip(response.data)
    assert {row["school_id"] for row in rows_in(files, "membership")} == {school.id}
    assert {row["school_id"] for row in rows_in(files, "ledger_entry")} == {school.id}
    assert other_school.name not in "".join(files.values())
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data_exported")).one()
    assert (event.actor_id, event.subject_user_id, event.school_id) == (admin.id, governor.id, school.id)


def school_download(app, admin: User, person: User) -> dict[str, str]:
    """The zip the admin's school downloads for the person, unpacked."""
    client = app.test_client()
    sign_in(client, admin)
    page = client.get(f"/school/people/{person.id}")
    response = client.post(f"/school/people/{person.id}/download-data", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200
    return unzip(response.data)


def answer_a_round(school, lead: User, person: User, evidence: str) -> SelfAssessmentRound:
    round_ = SelfAssessmentRound(
        school_id=school.id,
        set_id="governance",
        set_title="Governance",
        questions=[{"id": "q1", "text": "How well do governors know SEND?", "levels": {}}],
        lead_id=lead.id,
        invited_roles=["governor"],
        closes_on=date.today(),
        request_key=f"round-{school.id}",
    )
    db.session.add(round_)
    db.session.flush()
    response = SelfAssessmentResponse(round_id=round_.id, user_id=person.id)
    db.session.add(response)
    db.session.flush()
    db.session.add(SelfAssessmentAnswer(response_id=response.id, question_id="q1", evidence=evidence))
    db.session.commit()
    return round_


def test_a_school_download_leaves_out_answers_to_another_schools_self_assessment(app, make_school, make_person):
    # A response records no school of its own: its round's school decides whose it is.
    school = make_school()
    other_school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    other_head = make_person(other_school, Role.HEADTEACHER)
    governor = make_person(school, Role.GOVERNOR)
    db.session.add(
        Membership(user_id=governor.id, school_id=other_school.id, role=Role.GOVERNOR, started_on=date(2024, 1, 1))
    )
    ours = answer_a_round(school, admin, governor, "Our governors visit the SEND unit")
    theirs = answer_a_round(other_school, other_head, governor, "Their governors never discuss SEND")

    files = school_download(app, admin, governor)
    assert [row["round_id"] for row in rows_in(files, "self_assessment_response")] == [ours.id]
    assert [row["evidence"] for row in rows_in(files, "self_assessment_answer")] == [
        "Our governors visit the SEND unit"
    ]
    assert "Their governors never discuss SEND" not in "".join(files.values())

    # The person's own download has both.
    own = unzip(subject_access.export_person(governor))
    assert {row["round_id"] for row in rows_in(own, "self_assessment_response")} == {ours.id, theirs.id}
    assert len(rows_in(own, "self_assessment_answer")) == 2


def test_a_school_download_leaves_out_the_persons_account_data(app, make_school, make_person):
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    teacher = make_person(school, Role.TEACHER)
    accounts.issue_token(teacher, TokenPurpose.PASSWORD_RESET)
    two_step.replace_recovery_codes(teacher)
    db.session.add(
        KeyQuestionReflection(user_id=teacher.id, question_id="q1", notes="I am not confident with EHC plans")
    )
    audit.record_event("two_step_set_up", actor_id=teacher.id, subject_user_id=teacher.id)
    audit.record_event("roles_changed", school_id=school.id, actor_id=admin.id, subject_user_id=teacher.id)
    # CPD recorded for no school follows the person from school to school: every school keeps it.
    ledger.append_entry(user_id=teacher.id, school_id=None, kind=EntryKind.MODULE_COMPLETED, payload={})
    db.session.commit()

    files = school_download(app, admin, teacher)
    for table in ("account_token", "recovery_code", "key_question_reflection"):
        assert rows_in(files, table) == [], table
    assert "not confident" not in "".join(files.values())
    assert [row["action"] for row in rows_in(files, "audit_event")] == ["roles_changed"]
    assert [row["school_id"] for row in rows_in(files, "ledger_entry")] == [None]
    assert school.name in files["README.txt"] and "account page" in files["README.txt"]

    own = unzip(subject_access.export_person(teacher))
    for table in ("account_token", "recovery_code", "key_question_reflection"):
        assert rows_in(own, table), table
    assert {row["action"] for row in rows_in(own, "audit_event")} == {
        "two_step_set_up",
        "roles_changed",
        "data_exported",
    }
    assert "account page" not in own["README.txt"]


def test_sign_in_links_in_email_are_never_exported(app, make_school, make_person):
    # An invitation or reset link signs its holder in until it is used or expires.
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    with app.test_request_context():
        invitations.invite(
            school=school,
            email_address="new.starter@example.org",
            name="Nina New",
            role=Role.TEACHER,
            started_on=date.today(),
            invited_by=admin,
        )
        person = accounts.find_user_by_email("new.starter@example.org")
        joining.accept(person, school.id)
        accounts.request_password_reset("new.starter@example.org")
        db.session.commit()
    bodies = db.session.scalars(select(OutboxMessage.body_text)).all()
    links = [word for body in bodies for word in body.split() if "-password/" in word]
    assert len(links) == 2
    for files in (school_download(app, admin, person), unzip(subject_access.export_person(person))):
        everything = "".join(files.values())
        for link in links:
            token = link.rsplit("/", 1)[1]
            assert token not in everything
        messages = rows_in(files, "outbox_message")
        assert messages and all(SIGN_IN_LINK_REMOVED in m["body_text"] for m in messages)


def test_a_school_download_has_its_own_email_and_not_another_schools(app, make_school, make_person):
    school = make_school("Oak Tree School")
    other_school = make_school("Birch Hill School")
    admin = make_person(school, Role.SCHOOL_ADMIN)
    other_head = make_person(other_school, Role.HEADTEACHER)
    catalogue = app.extensions["catalogue"]
    with app.test_request_context():
        for inviting, inviter in ((school, admin), (other_school, other_head)):
            invitations.invite(
                school=inviting,
                email_address="two.schools@example.org",
                name="Tess Twoschools",
                role=Role.TEACHER,
                started_on=date.today(),
                invited_by=inviter,
            )
        tess = accounts.find_user_by_email("two.schools@example.org")
        joining.accept(tess, school.id)
        joining.accept(tess, other_school.id)
        assignments.assign_training(
            catalogue=catalogue,
            school=other_school,
            module_ids=[next(iter(catalogue.modules))],
            user_id=tess.id,
            role=None,
            due_on=date.today() + timedelta(days=30),
            note="From the other school",
            assigned_by=other_head,
            once_key="once",
        )
        accounts.request_password_reset("two.schools@example.org")
        db.session.commit()
    person = db.session.get(User, tess.id)
    sent = {(m.kind, m.body_text.count("Birch Hill")) for m in db.session.scalars(select(OutboxMessage))}
    assert ("training_assigned", 1) in sent and ("password_reset", 0) in sent

    files = school_download(app, admin, person)
    messages = rows_in(files, "outbox_message")
    # The invitation from this school; not the other school's invitation or assignment, and not the
    # password reset, which was sent for the person's account and holds their sign-in link.
    assert [message["kind"] for message in messages] == ["invitation"]
    assert "Oak Tree School" in messages[0]["body_text"]
    assert "Birch Hill" not in "".join(files.values())

    own = unzip(subject_access.export_person(person))
    assert sorted(message["kind"] for message in rows_in(own, "outbox_message")) == [
        "invitation",
        "invitation",
        "password_reset",
        "training_assigned",
    ]


def test_only_heads_and_admins_download_someone_elses_data(app, make_school, make_person):
    school = make_school()
    senco = make_person(school, Role.SENCO)
    teacher = make_person(school, Role.TEACHER)
    client = app.test_client()
    sign_in(client, senco)
    token = csrf_token_from(client.get("/home"))
    assert client.post(f"/school/people/{teacher.id}/download-data", data={"csrf_token": token}).status_code == 403


# --- erasure -------------------------------------------------------------------------------------


def _leaver(make_school, make_person, *, email="gone@example.org"):
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    person = make_person(school, Role.TEACHER, name="Gwen Gone", email=email)
    ledger.append_entry(user_id=person.id, school_id=school.id, kind=EntryKind.MODULE_COMPLETED, payload={"minutes": 5})
    ledger.append_entry(user_id=person.id, school_id=school.id, kind=EntryKind.QUIZ_ATTEMPTED, payload={"score": 3})
    db.session.add(
        OutboxMessage(
            kind="invitation",
            user_id=person.id,
            to_address=email,
            subject="Hi",
            body_text="Hello Gwen Gone",
            sent_at=None,
        )
    )
    db.session.commit()
    return school, admin, person


def test_erasing_a_leaver_keeps_the_ledger_verifiable(app, make_school, make_person):
    _, admin, person = _leaver(make_school, make_person)
    client = app.test_client()
    sign_in(client, admin)
    page = client.get(f"/school/people/{person.id}/erase").get_data(as_text=True)
    assert "You cannot erase their details now" in page and "Mark them as a leaver" in page
    refused = post_form(client, f"/school/people/{person.id}/erase", {"confirm": "y"})
    assert refused.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, person.id).erased_at is None

    post_form(
        client,
        f"/school/people/{person.id}/leaver",
        [("left_on", str(date.today().day)), ("left_on", str(date.today().month)), ("left_on", str(date.today().year))],
    )
    unconfirmed = post_form(client, f"/school/people/{person.id}/erase", {})
    body = unconfirmed.get_data(as_text=True)
    assert "<title>Error: Erase their personal details" in body and "cannot be undone" in body
    response = post_form(client, f"/school/people/{person.id}/erase", {"confirm": "y"})
    assert response.status_code == 302

    db.session.expire_all()
    erased = db.session.get(User, person.id)
    assert erased.name == f"Erased person {person.id}"
    assert erased.email.endswith("@erased.invalid") and "gone" not in erased.email
    assert erased.password_hash is None and erased.active is False and erased.erased_at is not None
    # Their records stay, under the pseudonym.
    assert len(ledger.entries_for(person.id)) == 2
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == person.id)) == 1
    assert "Gwen Gone" not in "".join(m.body_text for m in db.session.scalars(select(OutboxMessage)))
    assert f"Erased person {person.id}" in client.get("/school/people/leavers").get_data(as_text=True)
    verify = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verify.exit_code == 0, verify.output
    assert "2 entries in 1 chains, no broken links" in verify.output
    failed = post_form(app.test_client(), "/sign-in", {"email": "gone@example.org", "password": PASSWORD})
    assert SIGN_IN_FAILED in failed.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == "person_erased"


def test_erasure_is_refused_for_yourself_and_people_still_elsewhere(app, make_school, make_person):
    school, admin, person = _leaver(make_school, make_person)
    other_school = make_school()
    db.session.add(
        Membership(user_id=person.id, school_id=other_school.id, role=Role.TEACHER, started_on=date(2024, 1, 1))
    )
    db.session.execute(
        Membership.__table__.update()
        .where(Membership.school_id == school.id, Membership.user_id == person.id)
        .values(ended_on=date.today() - timedelta(days=10))
    )
    db.session.commit()
    with pytest.raises(erasure.CannotErase, match="still have a role"):
        erasure.erase_person(person, actor=admin, school=school)
    with pytest.raises(erasure.CannotErase, match="your own"):
        erasure.erase_person(admin, actor=admin, school=school)


# --- retention -----------------------------------------------------------------------------------


def test_the_retention_policy_page(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    client = app.test_client()
    sign_in(client, head)
    page = client.get("/school/people/retention").get_data(as_text=True)
    assert 'value="6"' in page
    response = post_form(client, "/school/people/retention", {"erase_leavers_after_years": "0"})
    body = response.get_data(as_text=True)
    assert "<title>Error: Retention policy" in body and "between 1 and 50" in body and 'value="0"' in body
    assert post_form(client, "/school/people/retention", {"erase_leavers_after_years": "3"}).status_code == 302
    assert erasure.retention_years(school) == 3
    # Saving the same again is no change, and records nothing.
    post_form(client, "/school/people/retention", {"erase_leavers_after_years": "3"})
    events = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "retention_policy_changed")).all()
    assert events == [{"years_before": 6, "years_now": 3}]


def test_apply_retention_erases_only_when_every_schools_period_has_passed(app, make_school, make_person):
    strict = make_school()
    relaxed = make_school()
    admin = make_person(strict, Role.SCHOOL_ADMIN)
    erasure.set_retention_years(strict, 2, actor=admin)
    today = date.today()
    long_gone = make_person(strict, Role.TEACHER, email="long.gone@example.org", started_on=date(2010, 9, 1))
    recent = make_person(strict, Role.TEACHER, email="recent@example.org", started_on=date(2010, 9, 1))
    two_schools = make_person(strict, Role.TEACHER, email="two.schools@example.org", started_on=date(2010, 9, 1))
    db.session.add(
        Membership(
            user_id=two_schools.id,
            school_id=relaxed.id,
            role=Role.GOVERNOR,
            started_on=date(2010, 9, 1),
            ended_on=today - timedelta(days=365 * 3),
        )
    )
    for person, ended in [(long_gone, 365 * 3), (recent, 100), (two_schools, 365 * 3)]:
        db.session.execute(
            Membership.__table__.update()
            .where(Membership.user_id == person.id, Membership.school_id == strict.id)
            .values(ended_on=today - timedelta(days=ended))
        )
    ledger.append_entry(user_id=long_gone.id, school_id=strict.id, kind=EntryKind.MODULE_COMPLETED, payload={})
    db.session.commit()
    db.session.expire_all()

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["apply-retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"Would erase person {long_gone.id} (long.gone@example.org)" in dry.output
    assert "recent@example.org" not in dry.output
    # The relaxed school keeps its governor for six years: not yet.
    assert "two.schools@example.org" not in dry.output
    db.session.expire_all()
    assert db.session.get(User, long_gone.id).erased_at is None

    result = runner.invoke(args=["apply-retention"])
    assert result.exit_code == 0, result.output
    assert "1 people erased." in result.output
    db.session.expire_all()
    assert db.session.get(User, long_gone.id).email.endswith("@erased.invalid")
    assert db.session.get(User, recent.id).erased_at is None
    assert db.session.get(User, two_schools.id).erased_at is None
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    # Running it again finds nothing more.
    assert "0 people erased." in runner.invoke(args=["apply-retention"]).output


# --- the audit log -------------------------------------------------------------------------------


def test_the_audit_log_filters_downloads_and_stays_in_its_school(app, make_school, make_person):
    school = make_school()
    other_school = make_school()
    head = make_person(school, Role.HEADTEACHER, name="Hana Head")
    formula = make_person(school, Role.TEACHER, name="=HYPERLINK(1)")
    stranger = make_person(other_school, Role.TEACHER, name="Stan Stranger")
    audit.record_event("roles_changed", school_id=school.id, actor_id=head.id, subject_user_id=formula.id)
    audit.record_event("leaver_marked", school_id=school.id, actor_id=head.id, subject_user_id=formula.id)
    audit.record_event("leaver_marked", school_id=other_school.id, actor_id=None, subject_user_id=stranger.id)
    db.session.commit()
    client = app.test_client()
    sign_in(client, head)
    page = client.get("/school/people/audit").get_data(as_text=True)
    assert "2 events" in page and "Roles changed" in page and "Marked as a leaver" in page
    assert "Stan Stranger" not in page
    filtered = client.get("/school/people/audit?action=leaver_marked&person=hyperlink").get_data(as_text=True)
    assert "1 event matching the filters" in filtered
    table = filtered[filtered.find("<tbody") :]
    assert "Marked as a leaver" in table and "Roles changed" not in table
    assert "1 event" in client.get("/school/people/audit?person=HANA&action=roles_changed").get_data(as_text=True)
    assert "0 events" in client.get("/school/people/audit?person=stan").get_data(as_text=True)

    token = csrf_token_from(client.get("/school/people/audit"))
    response = client.post("/school/people/audit/download", data={"csrf_token": token, "action": "", "person": ""})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["when (UTC)", "who", "what", "about whom", "details"]
    assert len(rows) == 3
    # A name a spreadsheet would run as a formula is written as plain text.
    assert {row[3] for row in rows[1:]} == {"'=HYPERLINK(1)"}
    assert "Stan Stranger" not in response.get_data(as_text=True)


def test_invitations_and_leavers_appear_in_the_audit_log(app, signed_in_client):
    client, head, _ = signed_in_client
    post_form(
        client,
        "/school/people/invite",
        [
            ("name", "Ivy Invited"),
            ("email", "ivy@example.org"),
            ("role", "teacher"),
            *[("started_on", v) for v in ("1", "9", "2025")],
        ],
    )
    page = client.get("/school/people/audit").get_data(as_text=True)
    assert "Invited" in page and "Ivy Invited" in page and head.name in page
