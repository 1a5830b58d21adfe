"""A school's worked-out training figures are kept, and never outlive a change to what they show.

The school's training revision must change with every write the dashboard reads, and only then;
the kept figures are reused while it stands, and worked out afresh when it or the date changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from app.extensions import db
from app.leadership import snapshots
from app.leadership.snapshots import StaleTrainingSnapshot
from app.learning import requirements
from app.models import Assignment, Membership, ModuleProgress, Role, School, TeacherStatusRecord, User
from app.records import sharing
from app.records.ledger import EntryKind, append_entry
from tests.conftest import sign_in
from tests.leadership.test_leaders import assign


def revision_of(school: School) -> str:
    return db.session.scalar(select(School.training_revision).where(School.id == school.id))


@pytest.fixture
def school_with_staff(app, make_school, make_person):
    school = make_school("Revision Primary")
    head = make_person(school, Role.HEADTEACHER)
    ta = make_person(school, Role.TEACHING_ASSISTANT)
    return school, head, ta


def _add_person(school, head, ta, make_person):
    make_person(school, Role.TEACHER)


def _end_membership(school, head, ta, make_person):
    membership = db.session.scalars(select(Membership).where(Membership.user_id == ta.id)).one()
    membership.ended_on = date.today() - timedelta(days=1)
    db.session.commit()


def _assign(school, head, ta, make_person):
    db.session.add(
        Assignment(
            school_id=school.id,
            user_id=ta.id,
            module_id="send-essentials",
            due_on=date.today() + timedelta(days=30),
            assigned_by_id=head.id,
            once_key="revision-test",
        )
    )
    db.session.commit()


def _change_requirement(school, head, ta, make_person):
    from app.content import catalogue

    with db.session.no_autoflush:
        requirements.change_requirement(
            catalogue=catalogue(),
            school_id=school.id,
            role=Role.TEACHING_ASSISTANT.value,
            module_id="send-essentials",
            required=True,
            window_days=10,
            renew_every_months=None,
            changed_by_id=head.id,
        )
    db.session.commit()


def _start_module(school, head, ta, make_person):
    db.session.add(
        ModuleProgress(
            user_id=ta.id, module_id="send-essentials", reading_version="v", pages_read=["a"], last_page_slug="a"
        )
    )
    db.session.commit()


def _complete_module(school, head, ta, make_person):
    _start_module(school, head, ta, make_person)
    revision = revision_of(school)
    progress = db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == ta.id)).one()
    progress.completed_at = datetime.now(UTC)
    db.session.commit()
    assert revision_of(school) != revision


def _rename(school, head, ta, make_person):
    db.session.get(User, ta.id).name = "A New Name"
    db.session.commit()


def _qualify(school, head, ta, make_person):
    db.session.add(TeacherStatusRecord(school_id=school.id, user_id=head.id, qualified=True))
    db.session.commit()


def _share_record(school, head, ta, make_person):
    sharing.set_sharing(db.session.get(User, ta.id), school.id, True)
    db.session.commit()


def _record_induction(school, head, ta, make_person):
    db.session.add(TeacherStatusRecord(school_id=school.id, user_id=head.id, induction_completed=True))
    db.session.commit()


def _record_earlier_time_as_senco(school, head, ta, make_person):
    db.session.add(TeacherStatusRecord(school_id=school.id, user_id=head.id, senco_over_12_months_before=True))
    db.session.commit()


def _record_qualification(school, head, ta, make_person):
    append_entry(
        user_id=head.id,
        kind=EntryKind.EXTERNAL_CPD_RECORDED,
        payload={"title": "NPQ for SENCOs", "date": "2025-02-01", "qualification": {"kind": "npq_senco"}},
    )
    db.session.commit()


@pytest.mark.parametrize(
    "change",
    [
        _add_person,
        _end_membership,
        _assign,
        _change_requirement,
        _start_module,
        _complete_module,
        _rename,
        _qualify,
        _record_induction,
        _record_earlier_time_as_senco,
        _record_qualification,
        _share_record,
    ],
)
def test_every_change_the_dashboard_shows_changes_the_revision(school_with_staff, make_person, change):
    school, head, ta = school_with_staff
    before = revision_of(school)
    change(school, head, ta, make_person)
    assert revision_of(school) != before


def test_changes_the_dashboard_does_not_show_leave_the_revision(school_with_staff):
    school, head, ta = school_with_staff
    _start_module(school, head, ta, None)
    before = revision_of(school)
    progress = db.session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == ta.id)).one()
    progress.pages_read = ["a", "b"]  # a second page: still in progress
    progress.updated_at = datetime.now(UTC)
    db.session.get(User, ta.id).last_signed_in_at = datetime.now(UTC)
    db.session.commit()
    assert revision_of(school) == before


def test_a_change_rolled_back_leaves_the_revision(school_with_staff):
    school, _head, ta = school_with_staff
    before = revision_of(school)
    db.session.get(User, ta.id).name = "Never Saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert revision_of(school) == before


def test_a_savepoint_rolled_back_keeps_the_changes_before_it(school_with_staff):
    school, head, ta = school_with_staff
    before = revision_of(school)
    db.session.get(User, ta.id).name = "Saved Before The Savepoint"
    db.session.flush()
    savepoint = db.session.begin_nested()
    db.session.get(User, head.id).name = "Rolled Back"
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    assert revision_of(school) != before
    assert db.session.get(User, ta.id).name == "Saved Before The Savepoint"


def test_a_person_in_two_schools_changes_both(app, make_school, make_person):
    first, second = make_school("First"), make_school("Second")
    person = make_person(first, Role.TEACHER)
    db.session.add(Membership(user_id=person.id, school_id=second.id, role=Role.GOVERNOR, started_on=date(2024, 9, 1)))
    db.session.commit()
    before = (revision_of(first), revision_of(second))
    db.session.get(User, person.id).name = "Moved On"
    db.session.commit()
    after = (revision_of(first), revision_of(second))
    assert after[0] != before[0] and after[1] != before[1]


def _dashboard_queries(app, client) -> list[str]:
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert client.get("/leaders/staff-training").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    return [s for s in statements if "module_progress" in s]


@pytest.fixture
def served_as_in_production(app):
    """Kept figures reused without being worked out again, as a server does; the cache starts empty."""
    app.config["TRAINING_SNAPSHOT_VERIFY"] = False
    app.extensions.pop("training_snapshots", None)
    yield
    app.config["TRAINING_SNAPSHOT_VERIFY"] = True
    app.extensions.pop("training_snapshots", None)


def test_the_dashboard_is_worked_out_once_then_again_after_a_change(app, school_with_staff, served_as_in_production):
    _school, head, ta = school_with_staff
    client = app.test_client()
    sign_in(client, head)
    assert _dashboard_queries(app, client), "the first visit reads the progress"
    assert _dashboard_queries(app, client) == [], "the second visit reuses what the first worked out"

    due = date.today() + timedelta(days=30)
    data = [
        ("modules", "send-governor"),  # not on a TA's pathway, so the assignment sets its due date
        ("audience", "person"),
        ("person", str(ta.id)),
        ("due_on", str(due.day)),
        ("due_on", str(due.month)),
        ("due_on", str(due.year)),
    ]
    response, _ = assign(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _dashboard_queries(app, client), "an assignment is a change: worked out again"
    assert ", assigned" in client.get("/leaders/staff-training").get_data(as_text=True)


def test_a_new_day_works_the_figures_out_again(app, school_with_staff, served_as_in_production, monkeypatch):
    school, _head, _ta = school_with_staff
    with app.test_request_context():
        catalogue = app.extensions["catalogue"]
        today = snapshots.for_school(catalogue, db.session.get(School, school.id))
        assert snapshots.for_school(catalogue, db.session.get(School, school.id)) is today

        class Tomorrow(date):
            @classmethod
            def today(cls):
                return date.today() + timedelta(days=1)

        monkeypatch.setattr(snapshots, "date", Tomorrow)
        tomorrow = snapshots.for_school(catalogue, db.session.get(School, school.id))
        assert tomorrow is not today
        assert tomorrow.dashboard.today == date.today() + timedelta(days=1)


def test_no_cache_when_its_size_is_zero(app, school_with_staff, served_as_in_production):
    _school, head, _ta = school_with_staff
    app.config["TRAINING_SNAPSHOT_CACHE_SIZE"] = 0
    try:
        client = app.test_client()
        sign_in(client, head)
        assert _dashboard_queries(app, client)
        assert _dashboard_queries(app, client), "with no cache, every visit works the figures out"
    finally:
        app.config["TRAINING_SNAPSHOT_CACHE_SIZE"] = 256


def test_the_check_catches_a_change_that_bypasses_the_revision(app, school_with_staff):
    """The test settings' check is what makes the whole suite a test of the revision: prove it can fail."""
    school, _head, ta = school_with_staff
    with app.test_request_context():
        catalogue = app.extensions["catalogue"]
        snapshots.for_school(catalogue, db.session.get(School, school.id))
        # A bulk UPDATE skips the ORM's flush, so the revision stays: exactly the mistake to catch.
        db.session.execute(update(User).where(User.id == ta.id).values(name="Changed Behind Its Back"))
        db.session.commit()
        with pytest.raises(StaleTrainingSnapshot, match="Revision Primary"):
            snapshots.for_school(catalogue, db.session.get(School, school.id))


def test_an_organisations_figures_are_kept_and_only_a_changed_school_is_worked_out_again(
    app, make_organisation, make_school, make_person, served_as_in_production
):
    organisation = make_organisation("Kept Borough")
    first, second = (make_school(name, organisation=organisation) for name in ("First Kept", "Second Kept"))
    for school in (first, second):
        make_person(school, Role.HEADTEACHER)
    with app.test_request_context():
        catalogue = app.extensions["catalogue"]

        def figures():
            schools = list(db.session.scalars(select(School).where(School.organisation_id == organisation.id)))
            return snapshots.figures_for_schools(catalogue, schools)

        before = figures()
        make_person(db.session.get(School, first.id), Role.TEACHER)
        after = figures()
    assert (before[first.id].people, after[first.id].people) == (1, 2)
    assert after[second.id] is before[second.id], "the unchanged school's figures are reused"
    # Totals and check states only: nothing an organisation sees can carry a name.
    assert set(vars(after[first.id])) == {"people", "completion", "checks"}
    assert all(len(check) == 3 for check in after[first.id].checks)
