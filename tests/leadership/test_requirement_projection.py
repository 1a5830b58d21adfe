"""The requirement projection gives what the Python rules give, on any day, on SQLite and PostgreSQL.

The rules (`personal_requirements`, `status_for`, `statutory.run_checks`, tested on their own in
test_leaders.py) are the oracle: over generated schools with every kind of role, start and end date,
assignment, school setting (windows, renewals, a refresh) and progress, each person's status on each
module worked out in SQL must equal the rules' status, and each school's figures must equal them,
on days before, around and long after the data's dates.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.leadership import progress_projection, school_figures, snapshots
from app.leadership.snapshots import SchoolFigures
from app.leadership.staff_training import build_dashboards
from app.learning import requirements
from app.models import SCHOOL_ROLES, Assignment, Membership, ModuleProgress, RequirementProgress, Role, School


def _generate(rng: random.Random, catalogue, make_organisation, make_school, make_person) -> list[School]:
    today = date.today()
    organisation = make_organisation("Equality Trust")
    modules = sorted(catalogue.modules)
    schools = [make_school(f"Equality School {n}", organisation=organisation) for n in range(4)]
    for school in schools:
        head = make_person(school, Role.HEADTEACHER, started_on=today - timedelta(days=rng.randint(30, 900)))
        people = [head]
        for _ in range(rng.randint(8, 16)):
            roles = rng.sample([role for role in SCHOOL_ROLES], rng.choice((1, 1, 1, 2)))
            started = today + timedelta(days=rng.randint(-800, 20))
            person = make_person(school, *roles, started_on=started)
            people.append(person)
            if rng.random() < 0.2:
                # A role ending: in the past, soon, or later.
                membership = db.session.scalars(select(Membership).where(Membership.user_id == person.id)).first()
                membership.ended_on = today + timedelta(days=rng.choice((-10, 5, 60)))
                db.session.commit()
        if rng.random() < 0.8:
            for module_id in rng.sample(modules, 3):
                requirements.change_requirement(
                    catalogue=catalogue,
                    school_id=school.id,
                    role=rng.choice(list(SCHOOL_ROLES)).value,
                    module_id=module_id,
                    required=rng.random() < 0.8,
                    window_days=rng.choice((None, 10, 40, 90)),
                    renew_every_months=rng.choice((None, 6, 12)),
                    changed_by_id=head.id,
                )
            db.session.commit()
            setting = db.session.scalars(select(requirements.RequirementSetting)).first()
            if setting is not None and rng.random() < 0.7:
                setting.refresh_required_since = datetime.now(UTC) - timedelta(days=rng.randint(5, 200))
                db.session.commit()
        for person in people:
            for module_id in rng.sample(modules, rng.randint(0, 5)):
                completed = rng.random() < 0.6
                when = datetime.combine(today - timedelta(days=rng.randint(0, 500)), time(12), tzinfo=UTC)
                db.session.add(
                    ModuleProgress(
                        user_id=person.id,
                        module_id=module_id,
                        reading_version="v",
                        pages_read=["x"],
                        last_page_slug=rng.choice((None, "x")),
                        completed_at=when if completed else None,
                        completed_version="v" if completed else None,
                    )
                )
            if rng.random() < 0.3:
                db.session.add(
                    Assignment(
                        school_id=school.id,
                        user_id=person.id,
                        module_id=rng.choice(modules),
                        due_on=today + timedelta(days=rng.randint(-30, 60)),
                        assigned_by_id=head.id,
                        once_key=f"equality-{person.id}",
                    )
                )
            db.session.commit()
    return schools


def _cells_by_rules(catalogue, schools, today) -> dict:
    dashboards = build_dashboards(catalogue, [school.id for school in schools], today)
    return {
        (school_id, row.user.id, module_id): (cell.status.value, cell.date, cell.assigned)
        for school_id, dashboard in dashboards.items()
        for row in dashboard.rows
        for module_id, cell in row.cells.items()
    }


def _cells_by_projection(schools, today) -> dict:
    resolved = progress_projection.resolved([school.id for school in schools], today)
    return {
        (school_id, user_id, module_id): (status, progress_projection.as_date(status_date), bool(assigned))
        for school_id, user_id, module_id, status, status_date, assigned, _ in db.session.execute(select(resolved))
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_projection_gives_the_rules_statuses_and_figures_on_any_day(
    app, seed, make_organisation, make_school, make_person
):
    catalogue = app.extensions["catalogue"]
    schools = _generate(random.Random(seed), catalogue, make_organisation, make_school, make_person)
    app.config["TRAINING_SNAPSHOT_VERIFY"] = False  # compared here, explicitly
    try:
        for shift in (-45, -1, 0, 1, 9, 14, 15, 30, 200, 400):
            today = date.today() + timedelta(days=shift)
            by_rules = _cells_by_rules(catalogue, schools, today)
            assert by_rules, "the generated data should give some requirements"
            assert _cells_by_projection(schools, today) == by_rules, f"{shift} days from today"
            figures = school_figures._work_out(catalogue, schools, today)
            trainings_by_rules = snapshots.work_out_by_rules(catalogue, schools, today)
            expected = {school_id: SchoolFigures.of(training) for school_id, training in trainings_by_rules.items()}
            assert figures == expected, f"{shift} days from today"
            # The leaders' dashboard and the board's counts, from the projection, are the rules' too.
            for school_id, training in snapshots._work_out(catalogue, schools, today).items():
                assert training.comparable() == trainings_by_rules[school_id].comparable(), f"{shift} days"
    finally:
        app.config["TRAINING_SNAPSHOT_VERIFY"] = True
    # Every status and check state turns up somewhere, so that the comparison means something.
    statuses = {status for status, _, _ in _cells_by_rules(catalogue, schools, date.today()).values()}
    assert {"completed", "overdue", "not_started"} <= statuses


def test_rebuilding_everyone_gives_the_rows_each_write_kept(app, make_organisation, make_school, make_person):
    catalogue = app.extensions["catalogue"]
    _generate(random.Random(7), catalogue, make_organisation, make_school, make_person)
    columns = [c for c in RequirementProgress.__table__.c if c.name != "id"]

    def rows() -> list:
        return sorted(tuple(map(str, row)) for row in db.session.execute(select(*columns)))

    kept = rows()
    assert kept
    progress_projection.rebuild(db.session, catalogue, everyone=True)
    db.session.commit()
    assert rows() == kept


def test_a_write_changes_the_projection_in_its_own_transaction(app, make_school, make_person):
    school = make_school()
    ta = make_person(school, Role.TEACHING_ASSISTANT)
    before = db.session.scalars(
        select(RequirementProgress.completed_at).where(RequirementProgress.user_id == ta.id)
    ).all()
    assert before and all(value is None for value in before)
    module_id = db.session.scalars(
        select(RequirementProgress.module_id).where(RequirementProgress.user_id == ta.id)
    ).first()
    db.session.add(
        ModuleProgress(
            user_id=ta.id,
            module_id=module_id,
            reading_version="v",
            pages_read=["x"],
            completed_at=datetime.now(UTC),
            completed_version="v",
        )
    )
    db.session.rollback()
    assert db.session.scalars(
        select(RequirementProgress.completed_at).where(RequirementProgress.module_id == module_id)
    ).all() == [None]
    db.session.add(
        ModuleProgress(
            user_id=ta.id,
            module_id=module_id,
            reading_version="v",
            pages_read=["x"],
            completed_at=datetime.now(UTC),
            completed_version="v",
        )
    )
    db.session.commit()
    assert (
        db.session.scalars(
            select(RequirementProgress.completed_at).where(RequirementProgress.module_id == module_id)
        ).one()
        is not None
    )


def test_the_rebuild_command_rewrites_the_projection(app, make_school, make_person):
    school = make_school()
    ta_id = make_person(school, Role.TEACHING_ASSISTANT).id
    db.session.execute(RequirementProgress.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rebuild-requirements"])
    assert result.exit_code == 0, result.output
    assert "Requirement projection rebuilt" in result.output
    db.session.remove()
    assert db.session.scalars(select(RequirementProgress).where(RequirementProgress.user_id == ta_id)).all()
