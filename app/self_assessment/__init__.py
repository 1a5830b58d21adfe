"""Self-assessment on the key questions: rounds, answers, the agreed position and actions, the trend, and
private reflection. Other areas use it only through the names below."""

from app.self_assessment.models import SelfAssessmentAction
from app.self_assessment.positions import overdue_actions
from app.self_assessment.trends import organisation_positions, trend_at

__all__ = ["SelfAssessmentAction", "organisation_positions", "overdue_actions", "trend_at"]
