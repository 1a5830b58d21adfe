"""For the board and the officer: the board report (a page and a PDF), the trend, and an organisation's
agreed positions."""

from __future__ import annotations

from flask import abort, make_response, render_template

from app.models.base import utcnow
from app.permissions import Permission, current_context, current_school, requires
from app.self_assessment import positions, rounds, trends
from app.web.assess import bp
from app.web.assess.charts import trend_chart
from app.web.assess.pdf import html_to_pdf


def _render_board_report(round_id: int, *, for_pdf: bool) -> str:
    school = current_school()
    round_ = rounds.round_or_404(school, round_id)
    return render_template(
        "assess/board_report.html",
        school=school,
        round=round_,
        rows=positions.position_rows(round_),
        actions=positions.actions_for_round(round_),
        for_pdf=for_pdf,
        produced_at=utcnow(),
    )


@bp.route("/rounds/<int:round_id>/report")
@requires(Permission.VIEW_SELF_ASSESSMENT)
def board_report(round_id: int):
    return _render_board_report(round_id, for_pdf=False)


@bp.route("/rounds/<int:round_id>/report.pdf")
@requires(Permission.VIEW_SELF_ASSESSMENT)
def board_report_pdf(round_id: int):
    html = _render_board_report(round_id, for_pdf=True)
    pdf = html_to_pdf(html, render_template("assess/board_report.css"))
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="self-assessment-round-{round_id}.pdf"'
    return response


@bp.route("/trend")
@requires(Permission.VIEW_SELF_ASSESSMENT)
def show_trend():
    school = current_school()
    school_trends = trends.trend_at(school)
    return render_template(
        "assess/show_trend.html", school=school, trends=[(trend, trend_chart(trend)) for trend in school_trends]
    )


@bp.route("/organisation")
@requires(Permission.VIEW_ORGANISATION_SUMMARY)
def organisation_summary():
    context = current_context()
    if context.organisation is None:
        abort(403)
    return render_template(
        "assess/organisation_summary.html",
        organisation=context.organisation,
        schools=trends.organisation_positions(context.organisation),
    )
