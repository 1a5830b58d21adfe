"""A learner's own view of what is asked of them: the staff dashboard's statuses, person by person,
with why each module is asked and the one next step."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.content import catalogue
from app.extensions import db
from app.leadership.own_training import ReasonKind, own_training
from app.leadership.staff_training import TrainingStatus, build_dashboard
from app.models import Assignment, Membership, School

TODAY = date.today()


def test_every_demo_person_sees_the_statuses_their_headteacher_sees(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    for school in db.session.scalars(select(School)):
        dashboard = build_dashboard(catalogue(), school.id, TODAY)
        assert dashboard.rows
        for row in dashboard.rows:
            own = own_training(catalogue(), school.id, row.user.id, TODAY)
            seen_by_head = {module_id: (cell.status, cell.date) for module_id, cell in row.cells.items()}
            seen_by_them = {r.module.id: (r.status, r.date) for r in own.requirements}
            assert seen_by_them == seen_by_head, row.user.name


def test_an_assignment_outside_the_pathway_says_who_asked_by_when(app, make_school, make_person):
    school = make_school()
    head = make_person(school, name="Hana Head")
    teacher = make_person(school, name="Ben", started_on=TODAY - timedelta(days=10))
    db.session.add(Membership(user_id=teacher.id, school_id=school.id, role="teacher", started_on=TODAY))
    db.session.add(
        Assignment(
            school_id=school.id,
            user_id=teacher.id,
            module_id="parents-and-carers",
            due_on=TODAY + timedelta(days=7),
            note="Before parents' evening",
            assigned_by_id=head.id,
            once_key="k",
        )
    )
    db.session.commit()
    own = own_training(catalogue(), school.id, teacher.id, TODAY)
    assigned = own.for_module("parents-and-carers")
    assert assigned is not None
    assert assigned.status is TrainingStatus.DUE_SOON
    assert [reason.kind for reason in assigned.reasons] == [ReasonKind.ASSIGNMENT]
    assert "Hana Head" in assigned.reasons[0].text and "Before parents' evening" in assigned.reasons[0].text
    # The most urgent comes first and is the next step: the assignment due in a week.
    assert own.next_step is assigned
    assert assigned.date_text == f"due by {(TODAY + timedelta(days=7)).day} {TODAY + timedelta(days=7):%B %Y}"
    pathway = own.for_module("class-teacher")
    assert pathway is not None and pathway.reasons[0].kind is ReasonKind.PATHWAY


def test_a_module_begun_is_the_next_step_unless_something_is_more_urgent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    from app.models import User

    ta = db.session.scalars(select(User).where(User.email == "ta@oakfield.example.org")).one()
    school_id = db.session.scalars(select(Membership.school_id).where(Membership.user_id == ta.id)).first()
    own = own_training(catalogue(), school_id, ta.id, TODAY)
    step = own.next_step
    assert step is not None
    assert step.module.id == "ta-group-work" and step.started and step.pages_read == 2
    assert step.status is TrainingStatus.OVERDUE
    assert len(own.overdue) == 5


def test_the_weekly_digest_lists_self_assessment_actions_past_their_date(app):
    from app.models import OutboxMessage

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    digest = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "weekly_digest", OutboxMessage.to_address == "head@oakfield.example.org"
        )
    ).one()
    assert "Self-assessment actions past their due date and not done (1)" in digest.body_text
    assert "OVERDUE, was due by" in digest.body_text and "Put a termly SEND report" in digest.body_text
    # Riverside has no late action: its digest says nothing of actions.
    other = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "weekly_digest", OutboxMessage.to_address == "head@riverside.example.org"
        )
    ).one()
    assert "Self-assessment actions" not in other.body_text
