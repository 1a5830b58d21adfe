"""Demo training history at Oakfield, so a headteacher's dashboard shows every status from the start.

Run once (skipped when Oakfield already has progress or assignments). Dates are set relative to
today, so the statuses hold whenever the demo is loaded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.learning.module_progress import record_module_completion
from app.models import (
    Assignment,
    Membership,
    ModuleProgress,
    RequirementSetting,
    Role,
    School,
    TeacherStatusRecord,
    User,
)

DEMO_NEW_TA = ("new-ta@oakfield.example.org", "Nia Newstart")


def _complete(catalogue: Catalogue, user: User, school: School, module_id: str, on: date) -> None:
    """A completion as the reader and quiz record it, dated in the past: the projection row and the ledger entry."""
    module = catalogue.modules[module_id]
    when = datetime.combine(on, time(15, 30), tzinfo=UTC)
    progress = ModuleProgress(
        user_id=user.id,
        module_id=module.id,
        reading_version=module.version,
        pages_read=list(module.page_slugs),
        last_page_slug=module.page_slugs[-1],
        started_at=when - timedelta(days=1),
        updated_at=when,
    )
    db.session.add(progress)
    db.session.flush()
    record_module_completion(user_id=user.id, school_id=school.id, module=module, progress=progress, occurred_at=when)


def _reading(catalogue: Catalogue, user: User, module_id: str, pages: int) -> None:
    module = catalogue.modules[module_id]
    db.session.add(
        ModuleProgress(
            user_id=user.id,
            module_id=module.id,
            reading_version=module.version,
            pages_read=list(module.page_slugs[:pages]),
            last_page_slug=module.page_slugs[pages - 1],
        )
    )


def load_demo_training(catalogue: Catalogue, today: date, password_hash: str | None) -> User | None:
    """Returns the extra new teaching assistant it creates, if it created one."""
    school = db.session.scalars(select(School).where(School.urn == "100001")).first()
    if school is None:
        return None
    members = select(Membership.user_id).where(Membership.school_id == school.id)
    already = db.session.scalars(select(ModuleProgress.id).where(ModuleProgress.user_id.in_(members))).first()
    if (
        already is not None
        or db.session.scalars(select(Assignment.id).where(Assignment.school_id == school.id)).first()
    ):
        return None

    def person(email: str) -> User:
        return db.session.scalars(select(User).where(User.email == email)).one()

    head = person("head@oakfield.example.org")
    ta = person("ta@oakfield.example.org")
    teacher = person("teacher@oakfield.example.org")
    senco = person("senco@oakfield.example.org")
    governor = person("governor@oakfield.example.org")
    send_governor = person("send-governor@oakfield.example.org")

    # The long-serving teaching assistant started last spring: induction is overdue, part done.
    for membership in db.session.scalars(select(Membership).where(Membership.user_id == ta.id)):
        membership.started_on = today - timedelta(days=200)
    _complete(catalogue, ta, school, "ta-role-in-the-classroom", today - timedelta(days=150))
    _complete(catalogue, ta, school, "send-essentials", today - timedelta(days=140))
    _reading(catalogue, ta, "ta-group-work", 2)

    # A new teaching assistant, ten days in: induction not started or in progress, due in a month.
    newcomer = User(email=DEMO_NEW_TA[0], name=DEMO_NEW_TA[1], password_hash=password_hash)
    db.session.add(newcomer)
    db.session.flush()
    db.session.add(
        Membership(
            user_id=newcomer.id,
            school_id=school.id,
            role=Role.TEACHING_ASSISTANT,
            started_on=today - timedelta(days=10),
        )
    )
    _reading(catalogue, newcomer, "ta-role-in-the-classroom", 3)

    # The teacher has a module assigned, due within the fortnight.
    db.session.add(
        Assignment(
            school_id=school.id,
            user_id=teacher.id,
            module_id="parents-and-carers",
            due_on=today + timedelta(days=7),
            note="Before the parents' evening, please.",
            assigned_by_id=head.id,
            once_key="demo-assignment",
        )
    )
    _complete(catalogue, teacher, school, "send-essentials", today - timedelta(days=60))

    # The headteacher did SEND essentials before the school asked everyone to redo its new version.
    _complete(catalogue, head, school, "send-essentials", today - timedelta(days=90))
    for role in (Role.HEADTEACHER,):
        db.session.add(
            RequirementSetting(
                school_id=school.id,
                role=role.value,
                module_id="send-essentials",
                required=True,
                refresh_required_since=datetime.combine(today - timedelta(days=20), time(9), tzinfo=UTC),
                updated_by_id=head.id,
            )
        )
    _complete(catalogue, head, school, "headteachers-and-leaders", today - timedelta(days=80))

    # A governor whose board training has lapsed (it is renewed every three years).
    _complete(catalogue, governor, school, "governing-board-duties", today - timedelta(days=3 * 365 + 40))
    # The SEND governor is trained. The SENCO is a qualified teacher past induction, new to the role this
    # year and not yet enrolled on the NPQ for SENCOs (a check at risk); the headteacher's out-of-date SEND
    # essentials and the first teaching assistant's late induction are the red checks.
    db.session.add(
        TeacherStatusRecord(
            school_id=school.id,
            user_id=senco.id,
            qualified=True,
            induction_completed=True,
            senco_over_12_months_before=False,
            recorded_by_id=head.id,
        )
    )
    _complete(catalogue, send_governor, school, "governing-board-duties", today - timedelta(days=100))
    _complete(catalogue, send_governor, school, "send-governor", today - timedelta(days=95))
    _complete(catalogue, senco, school, "senco", today - timedelta(days=30))
    db.session.flush()
    return newcomer
