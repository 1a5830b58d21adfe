"""Keeping the staff list through the real pages: roles, start dates, qualified teacher status,
leavers and rejoining, and the governors' board with terms and training."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.content import catalogue
from app.extensions import db
from app.models import AuditEvent, Membership, ModuleProgress, OutboxMessage, Role, TeacherStatusRecord, User
from tests.conftest import PASSWORD, csrf_token_from, sign_in

SIGN_IN_FAILED = "Enter a correct email address and password"


def post_form(client, url, data, *, page_url=None):
    """Fetch the form page for its CSRF token, then post the form as a browser would."""
    page = client.get(page_url or url)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    return client.post(url, data=form)


def date_fields(name: str, day: date) -> list[tuple[str, str]]:
    return [(name, str(day.day)), (name, str(day.month)), (name, str(day.year))]


def memberships_of(user: User) -> list[Membership]:
    db.session.expire_all()
    return list(db.session.scalars(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)))


def audit_actions(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_user_id == user.id).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def admin_client(app, make_school, make_person):
    """A school admin signed in at a fresh school; returns (client, admin, school)."""
    school = make_school()
    admin = make_person(school, Role.SCHOOL_ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    return client, admin, school


# --- roles, start dates, qualified teacher status ------------------------------------------------


def test_changing_roles_adds_and_ends_memberships_once(admin_client, make_person):
    client, _, school = admin_client
    teacher = make_person(school, Role.TEACHER, started_on=date(2023, 9, 1))
    url = f"/school/people/{teacher.id}/roles"
    page = client.get(url).get_data(as_text=True)
    assert 'value="teacher" checked' in page
    form = [("roles", "teaching_assistant"), *date_fields("started_on", date.today())]
    response = post_form(client, url, form)
    assert response.status_code == 302 and response.headers["Location"] == f"/school/people/{teacher.id}"

    held = {m.role: m for m in memberships_of(teacher)}
    assert held[Role.TEACHING_ASSISTANT].started_on == date.today()
    assert held[Role.TEACHING_ASSISTANT].ended_on is None
    # The dropped role ends yesterday and is kept.
    assert held[Role.TEACHER].ended_on == date.today() - timedelta(days=1)
    assert audit_actions(teacher) == ["roles_changed"]

    # The same form again (a retry, a second tab) changes nothing.
    response = post_form(client, url, form)
    assert response.status_code == 302
    assert len(memberships_of(teacher)) == 2
    assert audit_actions(teacher) == ["roles_changed"]
    assert "Nothing changed" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_roles_form_errors_keep_what_was_typed(admin_client, make_person):
    client, _, school = admin_client
    teacher = make_person(school, Role.TEACHER)
    response = post_form(
        client,
        f"/school/people/{teacher.id}/roles",
        [("started_on", "31"), ("started_on", "2"), ("started_on", "2026")],
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Change roles" in body
    assert "Select at least one role" in body and "Enter a real date" in body
    assert 'value="31"' in body
    assert len(memberships_of(teacher)) == 1


def test_an_admin_cannot_remove_their_own_admin_role(admin_client):
    client, admin, _ = admin_client
    response = post_form(
        client, f"/school/people/{admin.id}/roles", [("roles", "teacher"), *date_fields("started_on", date.today())]
    )
    assert "You cannot remove your own headteacher or administrator role" in response.get_data(as_text=True)
    assert [m.role for m in memberships_of(admin)] == [Role.SCHOOL_ADMIN]


def test_start_date_and_qualified_teacher_status(admin_client, make_person):
    client, _, school = admin_client
    teacher = make_person(school, Role.TEACHER, started_on=date(2024, 9, 1))
    response = post_form(client, f"/school/people/{teacher.id}/start-date", date_fields("started_on", date(2022, 1, 4)))
    assert response.status_code == 302
    assert memberships_of(teacher)[0].started_on == date(2022, 1, 4)

    missing = post_form(client, f"/school/people/{teacher.id}/qualified-teacher", {"qualified_teacher": "yes"})
    assert missing.status_code == 200
    body = missing.get_data(as_text=True)
    assert "<title>Error: " in body and "Select whether they have completed statutory induction" in body
    # A teacher who is not the SENCO is not asked about earlier time as a SENCO.
    assert "senco_over_12_months_before" not in body

    response = post_form(
        client,
        f"/school/people/{teacher.id}/qualified-teacher",
        {"qualified_teacher": "yes", "induction_completed": "no"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.scalars(select(TeacherStatusRecord).where(TeacherStatusRecord.user_id == teacher.id)).one()
    assert record.school_id == school.id
    assert (record.qualified, record.induction_completed, record.senco_over_12_months_before) == (True, False, None)
    page = client.get(f"/school/people/{teacher.id}").get_data(as_text=True)
    assert "Qualified teacher status" in page and "4 January 2022" in page
    assert "Statutory induction" in page and "Not completed" in page
    assert "SENCO for more than 12 months" not in page
    assert audit_actions(teacher) == ["start_date_changed", "qualified_teacher_changed"]


def test_a_sencos_earlier_time_in_the_role_is_recorded_and_read_by_the_statutory_check(app, admin_client, make_person):
    client, _, school = admin_client
    senco = make_person(school, Role.SENCO, Role.TEACHER, started_on=date(2025, 1, 6))
    form = client.get(f"/school/people/{senco.id}/qualified-teacher").get_data(as_text=True)
    assert "had they been a SENCO for more than 12 months in total?" in form
    response = post_form(
        client,
        f"/school/people/{senco.id}/qualified-teacher",
        {"qualified_teacher": "yes", "induction_completed": "yes", "senco_over_12_months_before": "yes"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.scalars(select(TeacherStatusRecord).where(TeacherStatusRecord.user_id == senco.id)).one()
    assert record.senco_over_12_months_before is True
    page = client.get(f"/school/people/{senco.id}").get_data(as_text=True)
    assert "SENCO for more than 12 months before becoming SENCO here" in page

    from app.leadership import check_state, statutory
    from app.leadership.staff_training import build_dashboard

    catalogue = app.extensions["catalogue"]
    dashboard = build_dashboard(catalogue, school.id)
    checks = {check.id: check for check in statutory.run_checks(catalogue, school, dashboard)}
    assert checks["senco-designated"].state is check_state.CheckState.MET
    assert checks["senco-qualification"].state is check_state.CheckState.MET
    assert "more than 12 months in total before becoming SENCO here" in checks["senco-qualification"].evidence


# --- leavers and rejoining -----------------------------------------------------------------------


def test_a_leaver_keeps_their_records_and_can_no_longer_sign_in(app, admin_client, make_person):
    client, _, school = admin_client
    teacher = make_person(school, Role.TEACHER, email="leaving.teacher@example.org")
    their_browser = app.test_client()
    sign_in(their_browser, teacher)
    assert their_browser.get("/home").status_code == 200

    response = post_form(client, f"/school/people/{teacher.id}/leaver", date_fields("left_on", date.today()))
    assert response.status_code == 302 and response.headers["Location"] == "/school/people/leavers"

    (membership,) = memberships_of(teacher)
    assert membership.ended_on == date.today() - timedelta(days=1)
    # Their sessions end and their sign-in stops working, with the usual words.
    assert their_browser.get("/home").status_code == 302
    failed = post_form(app.test_client(), "/sign-in", {"email": teacher.email, "password": PASSWORD})
    assert SIGN_IN_FAILED in failed.get_data(as_text=True)
    # Their record is kept, listed with the leavers and not with the current staff.
    assert teacher.name in client.get("/school/people/leavers").get_data(as_text=True)
    assert teacher.name not in client.get("/school/people/").get_data(as_text=True)
    page = client.get(f"/school/people/{teacher.id}").get_data(as_text=True)
    assert "Their records are kept" in page and "Add them back" in page
    assert audit_actions(teacher) == ["leaver_marked"]

    # Marking them again is harmless.
    post_form(client, f"/school/people/{teacher.id}/leaver", date_fields("left_on", date.today()))
    assert audit_actions(teacher) == ["leaver_marked"]


def test_a_leaver_with_another_school_keeps_signing_in(app, admin_client, make_school, make_person):
    client, _, school = admin_client
    governor = make_person(school, Role.GOVERNOR)
    elsewhere = make_school()
    db.session.add(
        Membership(user_id=governor.id, school_id=elsewhere.id, role=Role.GOVERNOR, started_on=date(2024, 1, 1))
    )
    db.session.commit()
    their_browser = app.test_client()
    sign_in(their_browser, governor)
    post_form(client, f"/school/people/{governor.id}/leaver", date_fields("left_on", date.today()))
    assert their_browser.get("/home").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, governor.id).active is True


def test_leaving_dates_are_checked(admin_client, make_person):
    client, admin, school = admin_client
    teacher = make_person(school, Role.TEACHER)
    tomorrow = date.today() + timedelta(days=1)
    response = post_form(client, f"/school/people/{teacher.id}/leaver", date_fields("left_on", tomorrow))
    body = response.get_data(as_text=True)
    assert "<title>Error: Mark as a leaver" in body and "must be today or in the past" in body
    assert memberships_of(teacher)[0].ended_on is None
    response = post_form(client, f"/school/people/{admin.id}/leaver", date_fields("left_on", date.today()))
    assert "You cannot mark yourself as a leaver" in response.get_data(as_text=True)


def test_a_leaver_rejoins_and_can_sign_in_again(app, admin_client, make_person):
    client, _, school = admin_client
    teacher = make_person(school, Role.TEACHER, email="back.again@example.org")
    post_form(client, f"/school/people/{teacher.id}/leaver", date_fields("left_on", date.today()))
    response = post_form(
        client,
        f"/school/people/{teacher.id}/rejoin",
        [("role", "teaching_assistant"), *date_fields("started_on", date.today())],
    )
    assert response.status_code == 302
    # They rejoin when they accept the invitation: until then the school holds only their old role.
    assert [(m.role, m.ended_on is None) for m in memberships_of(teacher)] == [(Role.TEACHER, False)]
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == teacher.email)).one()
    assert message.kind == "invitation" and "/invitations/" in message.body_text
    their_browser = app.test_client()
    sign_in(their_browser, teacher)
    link = re.search(r"http://localhost(/invitations/\d+)", message.body_text).group(1)
    response = post_form(their_browser, link, {"answer": "accept"})
    assert response.status_code == 302
    roles = [(m.role, m.ended_on is None) for m in memberships_of(teacher)]
    assert roles == [(Role.TEACHER, False), (Role.TEACHING_ASSISTANT, True)]
    assert audit_actions(teacher) == ["leaver_marked", "person_invited", "invitation_accepted"]
    # Someone still here is pointed at their roles instead.
    page = client.get(f"/school/people/{teacher.id}/rejoin").get_data(as_text=True)
    assert "They have a current role here" in page


# --- who may, and whose ---------------------------------------------------------------------------


STAFF_PAGES = ["roles", "start-date", "qualified-teacher", "leaver", "rejoin", "governance", "erase"]


def test_another_schools_person_is_not_found_on_every_staff_page(admin_client, make_school, make_person):
    client, _, _ = admin_client
    stranger = make_person(make_school(), Role.TEACHER)
    for page in STAFF_PAGES:
        assert client.get(f"/school/people/{stranger.id}/{page}").status_code == 404, page
    token = csrf_token_from(client.get("/school/people/"))
    for page in STAFF_PAGES:
        response = client.post(f"/school/people/{stranger.id}/{page}", data={"csrf_token": token})
        assert response.status_code == 404, page
    assert client.post(f"/school/people/{stranger.id}/download-data", data={"csrf_token": token}).status_code == 404
    assert memberships_of(stranger)[0].ended_on is None


@pytest.mark.parametrize("role", [Role.TEACHER, Role.SENCO, Role.GOVERNOR])
def test_only_heads_and_admins_change_the_staff_list(app, make_school, make_person, role):
    school = make_school()
    colleague = make_person(school, Role.TEACHER)
    client = app.test_client()
    sign_in(client, make_person(school, role))
    for page in STAFF_PAGES:
        assert client.get(f"/school/people/{colleague.id}/{page}").status_code == 403, page
    for page in ["/school/people/import", "/school/people/audit", "/school/people/retention"]:
        assert client.get(page).status_code == 403


def test_headteachers_manage_staff_too(app, signed_in_client, make_person):
    client, _, school = signed_in_client
    teacher = make_person(school, Role.TEACHER)
    response = post_form(
        client,
        f"/school/people/{teacher.id}/qualified-teacher",
        {"qualified_teacher": "yes", "induction_completed": "unknown"},
    )
    assert response.status_code == 302


# --- governors -----------------------------------------------------------------------------------


def _governance(client, user, *, start=None, end=None, offices=()):
    data = [
        *(date_fields("term_started_on", start) if start else []),
        *(date_fields("term_ends_on", end) if end else []),
    ]
    data += [("offices", office) for office in offices]
    return post_form(client, f"/school/people/{user.id}/governance", data)


def test_the_board_shows_terms_offices_warnings_and_training(app, admin_client, make_person):
    client, _, school = admin_client
    chair = make_person(school, Role.GOVERNOR, name="Gwen Chair")
    send = make_person(school, Role.GOVERNOR, name="Sam Send")
    ending = make_person(school, Role.GOVERNOR, name="Eve Ending")
    today = date.today()
    assert (
        _governance(client, chair, start=date(2023, 9, 1), end=date(2027, 8, 31), offices=["chair"]).status_code == 302
    )
    assert _governance(client, send, offices=["send_governor"]).status_code == 302
    assert _governance(client, ending, start=date(2022, 9, 1), end=today + timedelta(days=30)).status_code == 302

    roles = {m.role for m in memberships_of(send) if m.ended_on is None}
    assert roles == {Role.GOVERNOR, Role.SEND_GOVERNOR}

    # Training status comes from the progress projection: complete every required governor module for the chair.
    governor_pathway = catalogue().pathways["governor"]
    modules = catalogue().modules
    for module_id in governor_pathway.required:
        db.session.add(
            ModuleProgress(
                user_id=chair.id,
                module_id=module_id,
                reading_version=modules[module_id].version,
                pages_read=[],
                completed_version=modules[module_id].version,
            )
        )
    db.session.commit()

    board = client.get("/school/people/governors").get_data(as_text=True)
    assert "The board: 3 governors" in board
    assert "1 governor&#39;s term ends in the next 60 days: Eve Ending" in board
    assert "Ends in 30 days" in board
    assert "Chair" in board and "SEND governor" in board
    assert board.count(">Completed<") == 1
    assert f"Not started (0 of {len(governor_pathway.required)})" in board

    # One chair: choosing another stands the first down.
    _governance(client, ending, end=today + timedelta(days=30), offices=["chair"])
    chairs = db.session.scalars(select(Membership.user_id).where(Membership.is_chair.is_(True))).all()
    assert chairs == [ending.id]


def test_governance_form_errors_and_non_governors(admin_client, make_person):
    client, _, school = admin_client
    governor = make_person(school, Role.GOVERNOR)
    response = _governance(client, governor, start=date(2025, 9, 1), end=date(2024, 9, 1))
    body = response.get_data(as_text=True)
    assert "<title>Error: Governor details" in body and "The end of the term must be after its start" in body
    assert 'value="2025"' in body
    teacher = make_person(school, Role.TEACHER)
    assert "They are not a governor here" in client.get(f"/school/people/{teacher.id}/governance").get_data(
        as_text=True
    )


def test_the_board_list_is_one_query_for_training(app, admin_client, make_person):
    client, _, school = admin_client
    for number in range(6):
        make_person(school, Role.GOVERNOR, name=f"Governor {number}")
    from tests.web.test_query_budget import counting_statements

    with counting_statements() as log:
        response = client.get("/school/people/governors")
    assert response.status_code == 200
    assert log.count <= 8, log.describe()
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 7
