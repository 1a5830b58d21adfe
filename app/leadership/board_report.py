"""The governing board's report: training compliance by role (staff counted, not named), governors'
own training by name, the statutory checks, and the latest self-assessment positions and open actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.content.model import Catalogue
from app.extensions import db
from app.leadership import check_state, snapshots
from app.leadership.staff_training import PersonRow
from app.models import School
from app.models.people import GOVERNOR_ROLES
from app.self_assessment import SelfAssessmentAction, trend_at


@dataclass(frozen=True)
class LatestPosition:
    set_title: str
    agreed_on: date | None
    ratings: list[tuple[str, object, object]]  # (question text, rating now, rating the round before)


@dataclass(frozen=True)
class BoardReport:
    school: School
    today: date
    role_summary: list[dict]
    governors: list[PersonRow]
    module_ids: list[str]
    checks: list[check_state.Check]
    positions: list[LatestPosition]
    open_actions: list[SelfAssessmentAction]
    # Per role, the staff with training overdue, expired or out of date: behind the role summary's count,
    # shown only to those who may see names (never in the PDF for the board).
    needing_action: dict[str, list[tuple[int, str]]]


def build_board_report(catalogue: Catalogue, school: School) -> BoardReport:
    """The report from the school's kept training: its compliance by role is counted by the database
    (app/leadership/school_dashboard.py); the governors and the staff needing action are named rows."""
    training = snapshots.for_school(catalogue, school)
    dashboard = training.dashboard
    governors = [row for row in dashboard.rows if GOVERNOR_ROLES & set(row.roles)]
    governor_modules = [m for m in dashboard.module_ids if any(m in row.cells for row in governors)]
    positions = []
    for trend in trend_at(school):
        latest = trend.rounds[-1]
        ratings = [(row.text, row.ratings[-1], row.ratings[-2] if len(row.ratings) > 1 else None) for row in trend.rows]
        agreed = latest.position_agreed_at.date() if latest.position_agreed_at else None
        positions.append(LatestPosition(trend.title, agreed, ratings))
    open_actions = list(
        db.session.scalars(
            select(SelfAssessmentAction)
            .where(SelfAssessmentAction.school_id == school.id, SelfAssessmentAction.completed_at.is_(None))
            .order_by(SelfAssessmentAction.due_on, SelfAssessmentAction.id)
        )
    )
    needing_action: dict[str, list[tuple[int, str]]] = {
        summary["role"].value: [] for summary in training.staff_role_summary
    }
    for row in dashboard.rows:
        if set(row.roles) <= GOVERNOR_ROLES or not any(cell.status.needs_action for cell in row.cells.values()):
            continue
        for role in row.roles:
            needing_action.setdefault(role.value, []).append((row.user.id, row.user.name))
    return BoardReport(
        school=school,
        today=dashboard.today,
        role_summary=list(training.staff_role_summary),
        governors=governors,
        module_ids=governor_modules,
        checks=list(training.checks),
        positions=positions,
        open_actions=open_actions,
        needing_action=needing_action,
    )
