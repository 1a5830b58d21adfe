"""Leaders' review: statuses, the dashboard, assignments, requirements, statutory checks, reminders,
the board report and the organisation view."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.leadership import check_state, senco_rules, statutory
from app.leadership.staff_training import TrainingStatus, build_dashboard, status_for
from app.learning.requirements import PersonalRequirement
from app.models import (
    Assignment,
    Membership,
    ModuleProgress,
    OutboxMessage,
    ReminderSent,
    Role,
    TeacherStatusRecord,
    User,
)
from app.records.ledger import EntryKind, append_entry
from tests.conftest import csrf_token_from, sign_in

TODAY = date(2026, 11, 23)


def requirement(due: date, renew: int | None = None, refresh: datetime | None = None) -> PersonalRequirement:
    return PersonalRequirement("send-essentials", due, renew, refresh, assigned=False)


def progress(*, completed: datetime | None = None, pages: list[str] | None = None) -> ModuleProgress:
    return ModuleProgress(reading_version="v", pages_read=pages or [], completed_at=completed)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# --- Status rules, with the date fixed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "prog", "expected"),
    [
        (requirement(TODAY + timedelta(days=60)), None, TrainingStatus.NOT_STARTED),
        (requirement(TODAY + timedelta(days=60)), progress(pages=["a"]), TrainingStatus.IN_PROGRESS),
        (requirement(TODAY + timedelta(days=10)), progress(pages=["a"]), TrainingStatus.DUE_SOON),
        (requirement(TODAY + timedelta(days=14)), None, TrainingStatus.DUE_SOON),
        (requirement(TODAY - timedelta(days=1)), None, TrainingStatus.OVERDUE),
        (
            requirement(TODAY - timedelta(days=1)),
            progress(completed=at(TODAY - timedelta(days=5))),
            TrainingStatus.COMPLETED,
        ),
        (requirement(TODAY, renew=36), progress(completed=at(date(2023, 11, 1))), TrainingStatus.EXPIRED),
        (requirement(TODAY, renew=36), progress(completed=at(date(2023, 11, 30))), TrainingStatus.DUE_SOON),
        (requirement(TODAY, renew=36), progress(completed=at(date(2024, 1, 1))), TrainingStatus.COMPLETED),
        (
            requirement(TODAY, refresh=at(date(2026, 10, 1))),
            progress(completed=at(date(2026, 9, 1))),
            TrainingStatus.OLDER_VERSION,
        ),
        (
            requirement(TODAY, refresh=at(date(2026, 10, 1))),
            progress(completed=at(date(2026, 10, 2))),
            TrainingStatus.COMPLETED,
        ),
    ],
)
def test_status_rules(req, prog, expected):
    assert status_for(req, prog, TODAY)[0] is expected


# --- The SENCO's mandatory qualification -------------------------------------------------------------


def qual(kind, status, started, completed=None):
    return senco_rules.SencoQualification(kind, status, started, completed)


MET, AT_RISK, NOT_MET = check_state.CheckState.MET, check_state.CheckState.AT_RISK, check_state.CheckState.NOT_MET
NPQ_DONE = qual("npq_senco", "completed", date(2025, 2, 1), date(2026, 10, 1))


# Each case of regulation 49 as amended: (designated, earlier >12 months as SENCO, held, today) ->
# (state, words in the evidence, the date it turns red).
SENCO_QUALIFICATION_CASES = {
    "designated_before_1_september_2009_is_not_required": (
        (date(2008, 1, 1), None, [], TODAY),
        (MET, "not after 1 September 2009: not required", None),
    ),
    "designated_on_1_september_2009_is_not_required": (
        (date(2009, 9, 1), None, [], TODAY),
        (MET, "not after 1 September 2009", None),
    ),
    "designated_the_day_after_1_september_2009_is_required": (
        (date(2009, 9, 2), False, [], TODAY),
        (NOT_MET, "before 2 September 2012", date(2012, 9, 2)),
    ),
    "more_than_12_months_as_a_senco_before_is_not_required": (
        (date(2025, 1, 1), True, [], TODAY),
        (MET, "more than 12 months in total before becoming SENCO here: not required", None),
    ),
    "earlier_experience_not_recorded_counts_as_none": (
        (date(2025, 6, 1), None, [], TODAY),
        (AT_RISK, "is not recorded, so it is taken as none", date(2028, 6, 1)),
    ),
    "new_senco_not_yet_enrolled_is_at_risk": (
        (date(2025, 6, 1), False, [], TODAY),
        (AT_RISK, "Not yet enrolled on the NPQ for SENCOs", date(2028, 6, 1)),
    ),
    "new_senco_past_three_years_without_it_is_red": (
        (date(2023, 9, 1), False, [], TODAY),
        (NOT_MET, "before 1 September 2026, and is not recorded as completed", date(2026, 9, 1)),
    ),
    "three_years_end_on_the_anniversary_not_the_day_after": (
        (date(2023, 11, 23), False, [], TODAY),
        (NOT_MET, "before 23 November 2026", date(2026, 11, 23)),
    ),
    "npq_completed_is_met": (
        (date(2025, 1, 1), False, [NPQ_DONE], TODAY),
        (MET, "Holds the NPQ for SENCOs", None),
    ),
    "npq_enrolled_with_time_left_is_on_track": (
        (date(2025, 1, 1), False, [qual("npq_senco", "enrolled", date(2025, 3, 1))], TODAY),
        (MET, "Enrolled on the NPQ for SENCOs; it must be completed before 1 January 2028", date(2028, 1, 1)),
    ),
    "npq_enrolled_close_to_the_deadline_is_at_risk": (
        (date(2023, 12, 1), False, [qual("npq_senco", "enrolled", date(2024, 10, 1))], TODAY),
        (AT_RISK, "before 1 December 2026", date(2026, 12, 1)),
    ),
    "nasenco_completed_long_ago_is_met": (
        (date(2015, 1, 1), False, [qual("nasenco", "completed", date(2015, 2, 1), date(2016, 6, 1))], TODAY),
        (MET, "Holds the NASENCO", None),
    ),
    "nasenco_started_before_september_2024_and_still_enrolled_counts_until_its_cut_off": (
        (date(2024, 3, 1), False, [qual("nasenco", "enrolled", date(2024, 5, 1))], TODAY),
        (MET, "NASENCO (started before 1 September 2024); it must be completed before 1 March 2027", date(2027, 3, 1)),
    ),
    "nasenco_in_progress_turns_red_on_1_september_2027_when_that_comes_before_three_years": (
        (date(2025, 1, 1), False, [qual("nasenco", "enrolled", date(2024, 6, 1))], TODAY),
        (MET, "it must be completed before 1 September 2027", date(2027, 9, 1)),
    ),
    "nasenco_in_progress_is_at_risk_close_to_1_september_2027": (
        (date(2025, 1, 1), False, [qual("nasenco", "enrolled", date(2024, 6, 1))], date(2027, 7, 1)),
        (AT_RISK, "it must be completed before 1 September 2027", date(2027, 9, 1)),
    ),
    "nasenco_not_completed_by_1_september_2027_is_red_though_three_years_are_not_up": (
        (date(2025, 1, 1), False, [qual("nasenco", "enrolled", date(2024, 6, 1))], date(2027, 9, 1)),
        (NOT_MET, "was not completed before 1 September 2027, so it no longer counts", date(2027, 9, 1)),
    ),
    "nasenco_lapsed_but_npq_enrolled_in_time_is_on_track": (
        (
            date(2025, 1, 1),
            False,
            [qual("nasenco", "enrolled", date(2024, 6, 1)), qual("npq_senco", "enrolled", date(2027, 9, 10))],
            date(2027, 9, 15),
        ),
        (MET, "Enrolled on the NPQ for SENCOs; it must be completed before 1 January 2028", date(2028, 1, 1)),
    ),
    "nasenco_completed_on_or_after_1_september_2027_does_not_count": (
        (
            date(2025, 1, 1),
            False,
            [qual("nasenco", "completed", date(2024, 6, 1), date(2027, 9, 1))],
            date(2027, 10, 1),
        ),
        (AT_RISK, "A NASENCO completed on or after 1 September 2027 does not count", date(2028, 1, 1)),
    ),
    "nasenco_completed_just_before_1_september_2027_counts": (
        (
            date(2025, 1, 1),
            False,
            [qual("nasenco", "completed", date(2024, 6, 1), date(2027, 8, 31))],
            date(2027, 10, 1),
        ),
        (MET, "Holds the NASENCO", None),
    ),
    "nasenco_started_on_or_after_1_september_2024_does_not_count": (
        (date(2025, 1, 1), False, [qual("nasenco", "enrolled", date(2024, 9, 1))], TODAY),
        (AT_RISK, "A NASENCO started on or after 1 September 2024 does not count", date(2028, 1, 1)),
    ),
    "nasenco_started_after_september_2024_and_completed_does_not_count": (
        (date(2025, 1, 1), False, [qual("nasenco", "completed", date(2025, 1, 5), date(2026, 6, 1))], TODAY),
        (AT_RISK, "started on or after 1 September 2024 does not count", date(2028, 1, 1)),
    ),
}


@pytest.mark.parametrize("case", sorted(SENCO_QUALIFICATION_CASES))
def test_senco_qualification_rules(case):
    (designated, earlier, held, today), (state, words, red_on) = SENCO_QUALIFICATION_CASES[case]
    found, evidence, found_red_on = senco_rules.qualification_check(designated, held, today, earlier)
    assert found is state, evidence
    assert words in evidence
    assert found_red_on == red_on


def staff(name="Sam Senco", qualified=True, induction=True):
    from app.people import StaffMember

    return StaffMember(1, name, "s@example.org", True, qualified, induction, None)


SENCO_DESIGNATION_CASES = {
    "qualified_teacher_with_induction_may_be_senco": ((staff(), [Role.SENCO]), (MET, "completed induction")),
    "qualified_teacher_without_induction_may_not": (
        (staff(induction=False), [Role.SENCO, Role.TEACHER]),
        (NOT_MET, "has not completed statutory induction"),
    ),
    "induction_not_recorded_is_at_risk": ((staff(induction=None), [Role.SENCO]), (AT_RISK, "is not recorded")),
    "not_a_qualified_teacher_may_not": (
        (staff(qualified=False, induction=None), [Role.SENCO]),
        (NOT_MET, "not recorded as a qualified teacher"),
    ),
    "the_headteacher_may_be_senco_without_qualified_teacher_status": (
        (staff(qualified=False, induction=None), [Role.SENCO, Role.HEADTEACHER]),
        (MET, "is the headteacher, who may be the SENCO"),
    ),
}


@pytest.mark.parametrize("case", sorted(SENCO_DESIGNATION_CASES))
def test_who_may_be_senco(case):
    (person, roles), (state, words) = SENCO_DESIGNATION_CASES[case]
    found, evidence = senco_rules.designation_check(person, roles)
    assert found is state, evidence
    assert words in evidence


# --- The dashboard through the pages -----------------------------------------------------------------


@pytest.fixture
def school_with_staff(app, make_school, make_person):
    school = make_school("Dashboard Primary")
    head = make_person(school, Role.HEADTEACHER, name="Hana Head")
    new_ta = make_person(
        school, Role.TEACHING_ASSISTANT, name="Tia Newstart", started_on=date.today() - timedelta(days=10)
    )
    old_ta = make_person(school, Role.TEACHING_ASSISTANT, name="Tom Oldhand", started_on=date(2024, 9, 1))
    teacher = make_person(school, Role.TEACHER, name="Tess Teacher", started_on=date(2024, 9, 1))
    leader = app.test_client()
    sign_in(leader, head)
    return school, leader, {"head": head, "new_ta": new_ta, "old_ta": old_ta, "teacher": teacher}


def complete(user: User, module_id: str, when: datetime | None = None):
    db.session.add(
        ModuleProgress(
            user_id=user.id,
            module_id=module_id,
            reading_version="v",
            pages_read=["x"],
            completed_at=when or datetime.now(UTC),
            completed_version="v",
        )
    )
    db.session.commit()


def test_the_dashboard_shows_everyone_against_their_requirements(app, school_with_staff):
    _school, leader, people = school_with_staff
    complete(people["old_ta"], "send-essentials")
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    for person in people.values():
        assert person.name in page
    assert ("Overdue" in page and "Completed" in page and "Due soon" in page) or "Not started" in page
    assert "Statutory checks" in page
    assert "Nobody at the school currently has the SENCO role" in page

    def table_of(url: str) -> str:
        # The tables, after the statutory checks (whose counts list everyone they count).
        page = leader.get(url).get_data(as_text=True)
        return page[page.index("<table") :]

    overdue = table_of("/leaders/staff-training?status=overdue")
    assert "Tom Oldhand" in overdue and "Tia Newstart" not in overdue
    searched = table_of("/leaders/staff-training?search=tess")
    assert "Tess Teacher" in searched and "Tom Oldhand" not in searched
    by_role = table_of("/leaders/staff-training?role=teaching_assistant")
    assert "Tia Newstart" in by_role and "Tess Teacher" not in by_role


def test_the_csv_is_exactly_what_is_on_screen(app, school_with_staff):
    _, leader, _ = school_with_staff
    query = "?role=teaching_assistant&sort=-name"
    page = leader.get(f"/leaders/staff-training{query}").get_data(as_text=True)
    response = leader.get(f"/leaders/staff-training.csv{query}")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    names_on_screen = re.findall(
        r'<th scope="row" class="govuk-table__header app-training-matrix__name">'
        r'<a class="govuk-link" href="/leaders/staff-training/\d+">([^<]+)</a>',
        page,
    )
    assert [row[0] for row in rows[1:]] == names_on_screen == ["Tom Oldhand", "Tia Newstart"]
    # The headings show short labels, with the full titles (the CSV's) for screen readers.
    headers_on_screen = re.findall(
        r'<th scope="col" class="govuk-table__header app-training-matrix__module">'
        r'<span aria-hidden="true">[^<]+</span><span class="govuk-visually-hidden">([^<]+)</span></th>',
        page.split("2 people</caption>")[1],
    )
    assert rows[0][2:] == [html.unescape(header) for header in headers_on_screen]
    assert "Overdue" in rows[1][2]


def test_csv_cells_cannot_run_as_formulas(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    make_person(school, Role.TEACHER, name='=HYPERLINK("http://evil")')
    leader = app.test_client()
    sign_in(leader, head)
    body = leader.get("/leaders/staff-training.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_an_empty_filter_says_so(school_with_staff):
    _, leader, _ = school_with_staff
    page = leader.get("/leaders/staff-training?search=nobody-called-this").get_data(as_text=True)
    assert "Nobody matches these filters" in page
    assert "Download this table" not in page
    # Asked for anyway (a bookmark, say): back to the page with the same filters, saying why.
    response = leader.get("/leaders/staff-training.csv?search=nobody-called-this")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/leaders/staff-training?search=nobody-called-this")
    page = leader.get(response.headers["Location"]).get_data(as_text=True)
    assert "there is nothing to download" in page
    assert 'value="nobody-called-this"' in page


def test_a_persons_training_page_and_another_schools_person(app, school_with_staff, make_school, make_person):
    _, leader, people = school_with_staff
    page = leader.get(f"/leaders/staff-training/{people['old_ta'].id}").get_data(as_text=True)
    assert "Tom Oldhand: training" in page and "Overdue" in page
    stranger = make_person(make_school(), Role.TEACHER)
    assert leader.get(f"/leaders/staff-training/{stranger.id}").status_code == 404


def test_learners_and_governors_cannot_see_the_dashboard(app, school_with_staff, make_person):
    school, _, _people = school_with_staff
    for role in (Role.TEACHING_ASSISTANT, Role.GOVERNOR):
        client = app.test_client()
        sign_in(client, make_person(school, role))
        assert client.get("/leaders/staff-training").status_code == 403
        assert client.get("/leaders/assign").status_code == 403
        assert client.get("/leaders/requirements").status_code == 403
    governor = app.test_client()
    sign_in(governor, make_person(school, Role.GOVERNOR))
    assert governor.get("/leaders/board-report").status_code == 200


def count_queries(app, fn) -> int:
    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_dashboard_and_organisation_view_query_counts_do_not_grow(app, make_school, make_person, make_organisation):
    from app.leadership.organisation_summary import organisation_summary

    organisation = make_organisation("Counting Borough")
    small = make_school("Small", organisation=organisation)
    large = make_school("Large", organisation=organisation)
    for school, size in ((small, 3), (large, 30)):
        make_person(school, Role.HEADTEACHER)
        make_person(school, Role.SENCO)
        for number in range(size):
            person = make_person(school, Role.TEACHING_ASSISTANT if number % 2 else Role.TEACHER)
            if number % 3 == 0:
                complete(person, "send-essentials")
    catalogue = app.extensions["catalogue"]
    small_count = count_queries(app, lambda: build_dashboard(catalogue, small.id))
    large_count = count_queries(app, lambda: build_dashboard(catalogue, large.id))
    assert small_count == large_count <= 6
    # Measured as served: kept results reused without being checked again.
    app.config["TRAINING_SNAPSHOT_VERIFY"] = False
    try:
        app.extensions.pop("training_snapshots", None)
        app.extensions.pop("organisation_figures", None)
        one_cold = count_queries(app, lambda: organisation_summary(catalogue, organisation))
        one_warm = count_queries(app, lambda: organisation_summary(catalogue, organisation))
        make_school("Third", organisation=organisation)
        for _ in range(10):
            make_person(db.session.get(type(large), large.id), Role.TEACHER)
        app.extensions.pop("training_snapshots", None)
        app.extensions.pop("organisation_figures", None)
        more_cold = count_queries(app, lambda: organisation_summary(catalogue, organisation))
        more_warm = count_queries(app, lambda: organisation_summary(catalogue, organisation))
    finally:
        app.config["TRAINING_SNAPSHOT_VERIFY"] = True
    # Worked out by grouped queries over the requirement projection, in the same number however many
    # schools; kept, each school's figures are read again without touching its people or progress.
    assert one_cold == more_cold <= 12
    assert one_warm == more_warm <= 4


# --- Assignments ---------------------------------------------------------------------------------


def assign(leader, data):
    page = leader.get("/leaders/assign")
    body = page.get_data(as_text=True)
    form = MultiDict(data)
    form["csrf_token"] = csrf_token_from(page)
    form.setdefault("once", re.search(r'name="once" type="hidden" value="([^"]+)"', body).group(1))
    return leader.post("/leaders/assign", data=form), form


def test_assigning_a_module_to_every_teaching_assistant_emails_them_once(app, school_with_staff):
    _school, leader, people = school_with_staff
    due = date.today() + timedelta(days=30)
    data = [
        ("modules", "ta-group-work"),
        ("audience", "role"),
        ("role", "teaching_assistant"),
        ("due_on", str(due.day)),
        ("due_on", str(due.month)),
        ("due_on", str(due.year)),
        ("note", "Before the spring term, please."),
    ]
    response, form = assign(leader, data)
    assert response.status_code == 302
    # The same form again: a double click, or the back button.
    assert leader.post("/leaders/assign", data=form).status_code == 302
    assignments = db.session.scalars(select(Assignment)).all()
    assert sorted(a.user_id for a in assignments) == sorted([people["new_ta"].id, people["old_ta"].id])
    emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "training_assigned")).all()
    assert sorted(m.to_address for m in emails) == sorted([people["new_ta"].email, people["old_ta"].email])
    assert "Supporting learning in group work" in emails[0].body_text and "spring term" in emails[0].body_text
    page = leader.get("/leaders/staff-training").get_data(as_text=True)
    assert "assigned" in page
    # The person sees it in their emails.
    ta_client = app.test_client()
    sign_in(ta_client, people["new_ta"])
    assert "Training assigned to you" in ta_client.get("/training/emails").get_data(as_text=True)


def test_assignment_errors_keep_input_and_save_nothing(app, school_with_staff):
    _school, leader, people = school_with_staff
    past = date.today() - timedelta(days=3)
    response, _ = assign(
        leader,
        [
            ("modules", "senco"),
            ("audience", "person"),
            ("person", str(people["teacher"].id)),
            ("due_on", str(past.day)),
            ("due_on", str(past.month)),
            ("due_on", str(past.year)),
            ("note", "Kept note"),
        ],
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: Assign training" in body
    assert "The due date must be today or in the future" in body
    assert "Kept note" in body
    # Someone who has left.
    membership = db.session.scalars(select(Membership).where(Membership.user_id == people["teacher"].id)).one()
    membership.ended_on = date.today() - timedelta(days=1)
    db.session.commit()
    future = date.today() + timedelta(days=3)
    response, _ = assign(
        leader,
        [
            ("modules", "senco"),
            ("audience", "person"),
            ("person", str(people["teacher"].id)),
            ("due_on", str(future.day)),
            ("due_on", str(future.month)),
            ("due_on", str(future.year)),
        ],
    )
    assert "they may have left" in response.get_data(as_text=True)
    missing, _ = assign(leader, [("audience", "role")])
    assert "Select at least one module" in missing.get_data(as_text=True)
    assert db.session.scalars(select(Assignment)).all() == []


# --- Requirements ----------------------------------------------------------------------------------


def test_changing_a_requirement_is_recorded_and_a_refresh_marks_older_completions(app, school_with_staff):
    _school, leader, people = school_with_staff
    complete(people["teacher"], "class-teacher", datetime.now(UTC) - timedelta(days=30))
    page = leader.get("/leaders/requirements")
    response = leader.post(
        "/leaders/requirements",
        data={
            "csrf_token": csrf_token_from(page),
            "role": "teacher",
            "module": "senco",
            "required": "yes",
            "window_days": "30",
            "save": "Save requirement",
        },
    )
    assert response.status_code == 302
    body = leader.get("/leaders/requirements").get_data(as_text=True)
    assert "required, within 30 days" in body
    dashboard = leader.get("/leaders/staff-training").get_data(as_text=True)
    assert "The special educational needs co-ordinator (SENCO)" in dashboard

    response = leader.post(
        "/leaders/requirements",
        data={"csrf_token": csrf_token_from(page), "changed_module": "class-teacher", "refresh": "x"},
    )
    assert response.status_code == 302
    dashboard = leader.get(f"/leaders/staff-training/{people['teacher'].id}").get_data(as_text=True)
    assert "Done on an older version" in dashboard


def test_a_window_of_zero_days_is_refused(school_with_staff):
    _, leader, _ = school_with_staff
    page = leader.get("/leaders/requirements")
    response = leader.post(
        "/leaders/requirements",
        data={
            "csrf_token": csrf_token_from(page),
            "role": "teacher",
            "module": "senco",
            "required": "yes",
            "window_days": "0",
            "save": "Save requirement",
        },
    )
    assert response.status_code == 200
    assert "The window must be between 1 and 730 days" in response.get_data(as_text=True)


# --- Statutory checks through the dashboard ------------------------------------------------------------


def test_statutory_checks_for_a_school(app, make_school, make_person):
    school = make_school()
    head = make_person(school, Role.HEADTEACHER)
    senco = make_person(school, Role.SENCO, Role.TEACHER, name="Sam Senco", started_on=date(2025, 1, 6))
    send_governor = make_person(school, Role.SEND_GOVERNOR, name="Gil Governor")
    catalogue = app.extensions["catalogue"]

    def checks():
        db.session.expire_all()
        dashboard = build_dashboard(catalogue, school.id)
        return {check.id: check for check in statutory.run_checks(catalogue, school, dashboard)}

    found = checks()
    assert found["senco-designated"].state is check_state.CheckState.NOT_MET
    assert "Sam Senco is not recorded as a qualified teacher" in found["senco-designated"].evidence
    assert found["senco-qualification"].state is check_state.CheckState.AT_RISK
    assert found["senco-qualification"].red_on == date(2028, 1, 6)
    assert found["send-governor"].state is check_state.CheckState.AT_RISK

    record = TeacherStatusRecord(school_id=school.id, user_id=senco.id, qualified=True)
    db.session.add(record)
    db.session.commit()
    found = checks()
    assert found["senco-designated"].state is check_state.CheckState.AT_RISK
    assert "whether they have completed statutory induction" in found["senco-designated"].evidence
    record.induction_completed = True
    db.session.commit()
    append_entry(
        user_id=senco.id,
        school_id=school.id,
        kind=EntryKind.EXTERNAL_CPD_RECORDED,
        payload={
            "title": "NPQ for SENCOs",
            "date": "2025-02-01",
            "minutes": 60,
            "category": "qualification",
            "qualification": {"kind": "npq_senco", "status": "completed", "completed_on": "2026-10-01"},
        },
    )
    db.session.commit()
    complete(send_governor, "send-governor")
    found = checks()
    assert found["senco-designated"].state is check_state.CheckState.MET
    assert found["senco-qualification"].state is check_state.CheckState.MET
    assert found["send-governor"].state is check_state.CheckState.MET
    assert head.id


def test_corrected_and_rejected_qualifications(app, make_school, make_person):
    school = make_school()
    senco = make_person(school, Role.SENCO)
    here = (school.id, senco.id)

    def record(kind, payload):
        entry = append_entry(user_id=senco.id, school_id=school.id, kind=kind, payload=payload)
        db.session.commit()
        return entry

    qualification = {"kind": "nasenco", "status": "enrolled", "completed_on": None}
    original = record(
        EntryKind.EXTERNAL_CPD_RECORDED, {"title": "NASENCO", "date": "2024-03-01", "qualification": qualification}
    )
    corrected = record(
        EntryKind.ENTRY_CORRECTED,
        {
            "title": "NPQ",
            "date": "2025-03-01",
            "refers_to_entry": original.id,
            "qualification": {"kind": "npq_senco", "status": "enrolled", "completed_on": None},
        },
    )
    [held] = senco_rules.senco_qualifications([here])[here]
    assert held.kind == "npq_senco", "a correction replaces the entry it corrects"
    record(EntryKind.ENTRY_REJECTED, {"refers_to_entry": corrected.id, "comment": "No evidence of enrolment"})
    assert senco_rules.senco_qualifications([here])[here] == []


# --- Reminders -------------------------------------------------------------------------------------


def test_reminders_are_sent_once_however_often_the_job_runs(app, school_with_staff):
    _, _, people = school_with_staff
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0, first.output
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "training_reminder")).all()
    recipients = {m.to_address for m in queued}
    assert people["old_ta"].email in recipients and people["teacher"].email in recipients
    assert people["head"].email in {
        m.to_address for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "weekly_digest"))
    }
    second = runner.invoke(args=["send-reminders"])
    assert "Reminders queued: 0; weekly digests: 0" in second.output
    db.session.expire_all()
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "training_reminder")).all()) == len(
        queued
    )
    # A week later, the overdue reminders go again; nothing else does.
    later = runner.invoke(args=["send-reminders", "--today", (date.today() + timedelta(days=7)).isoformat()])
    assert "Reminders queued: 0" not in later.output
    assert db.session.scalars(select(ReminderSent)).first() is not None


# --- The board report and the organisation view ------------------------------------------------------


def test_the_board_report_counts_staff_and_names_governors(app, school_with_staff, make_person):
    school, leader, _people = school_with_staff
    governor = make_person(school, Role.GOVERNOR, name="Gwen Governor")
    page = leader.get("/leaders/board-report").get_data(as_text=True)
    assert "SEND report for the governing board" in page
    assert "Gwen Governor" in page
    # The headteacher leads staff training: the counts open the people they count.
    assert "Tom Oldhand" in page
    # The board sees staff counted, not named.
    board = app.test_client()
    sign_in(board, governor)
    page = board.get("/leaders/board-report").get_data(as_text=True)
    assert "Gwen Governor" in page
    assert "Tom Oldhand" not in page and "Tia Newstart" not in page
    response = leader.get("/leaders/board-report.pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert governor.id


def test_the_organisation_view_shows_aggregates_and_no_names(app, make_school, make_person, make_organisation):
    borough = make_organisation("Aggregate Borough")
    other = make_organisation("Elsewhere Borough")
    first = make_school("Alpha Primary", organisation=borough)
    second = make_school("Beta Primary", organisation=borough)
    outside = make_school("Gamma Primary", organisation=other)
    names = []
    for school in (first, second, outside):
        for role in (Role.HEADTEACHER, Role.SENCO, Role.TEACHER):
            person = make_person(school, role, name=f"Named {role.value} at {school.name}")
            names.append(person.name)
    complete(
        db.session.scalars(select(User).where(User.name == "Named teacher at Alpha Primary")).one(), "send-essentials"
    )
    officer = make_person(None, Role.LA_OFFICER, organisation=borough)
    client = app.test_client()
    sign_in(client, officer)
    page = client.get("/organisation/schools").get_data(as_text=True)
    assert "Alpha Primary" in page and "Beta Primary" in page and "Gamma Primary" not in page
    for name in names:
        assert name not in page
    compared = client.get(f"/organisation/schools?school={second.id}").get_data(as_text=True)
    table = compared.split("Training completed</h3>")[1].split("</table>")[0]
    assert "Beta Primary" in table and "Alpha Primary" not in table
    exported = client.get(f"/organisation/schools.csv?school={first.id}&school={second.id}").get_data(as_text=True)
    assert exported.splitlines()[0] == "Measure,Alpha Primary,Beta Primary"
    for name in names:
        assert name not in exported
    # Staff of a school never see the organisation view.
    head_client = app.test_client()
    sign_in(
        head_client, db.session.scalars(select(User).where(User.name == "Named headteacher at Alpha Primary")).one()
    )
    assert head_client.get("/organisation/schools").status_code == 403


def test_an_organisation_with_no_schools_says_so_and_has_nothing_to_download(app, make_person, make_organisation):
    officer = make_person(None, Role.LA_OFFICER, organisation=make_organisation("Empty Borough"))
    client = app.test_client()
    sign_in(client, officer)
    page = client.get("/organisation/schools").get_data(as_text=True)
    assert "Empty Borough has no schools in SEND Ready yet" in page
    assert "Download this comparison" not in page
    response = client.get("/organisation/schools.csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation/schools")
    assert "there is nothing to download" in client.get(response.headers["Location"]).get_data(as_text=True)


# --- How current the training is ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SCHOOL_ADMIN, Role.HEADTEACHER, Role.SENCO])
def test_leaders_and_the_admin_see_each_modules_review_dates_and_the_change_notes(
    app, make_school, make_person, monkeypatch, role
):
    import dataclasses

    from markupsafe import escape

    catalogue = app.extensions["catalogue"]
    overdue = dataclasses.replace(
        catalogue.modules["senco"], reviewed_on=date(2020, 1, 1), review_by=date(2020, 12, 31)
    )
    client = app.test_client()
    sign_in(client, make_person(make_school(), role))
    home = client.get("/home").get_data(as_text=True)
    assert "/leaders/training-content" in home
    monkeypatch.setitem(catalogue.modules, "senco", overdue)
    body = client.get("/leaders/training-content").get_data(as_text=True)
    for module in catalogue.modules.values():
        assert str(escape(module.title)) in body
        if module.id != "senco":
            assert module.review_by.strftime("%-d %B %Y") in body
    assert "31 December 2020" in body and body.count("Review overdue") == 1
    for change in catalogue.changes:
        assert str(escape(change.title)) in body and change.date.strftime("%-d %B %Y") in body
        for ref in change.sources:
            assert str(escape(catalogue.section_label(ref))) in body
