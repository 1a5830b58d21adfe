"""A round's lead: everyone's answers (theirs alone), the agreed position and the actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.models import School
from app.permissions import Permission, current_context, current_school, requires
from app.self_assessment import positions, rounds
from app.self_assessment.models import ActionStatus, RatingLevel, ResponseStatus, SelfAssessmentRound
from app.self_assessment.positions import PositionInput
from app.web.assess import bp
from app.web.assess.forms import ActionForm, position_form, version_or_400


# The lead's pages take `led_round_id`: to anyone but the round's lead they do not exist (404), and a
# lead whose roles and offices here no longer lead the round's set is forbidden them (403).
def _led_round_or_404(school: School, led_round_id: int) -> SelfAssessmentRound:
    context = current_context()
    return rounds.lead_round_or_404(
        school, led_round_id, current_user, lead_roles=context.roles, lead_offices=context.offices
    )


@bp.route("/rounds/<int:led_round_id>/position", methods=["GET", "POST"])
@requires(Permission.LEAD_SELF_ASSESSMENT)
def edit_position(led_round_id: int):
    school = current_school()
    round_ = _led_round_or_404(school, led_round_id)
    spreads, responses = positions.spread_of_answers(round_)
    rows = positions.position_rows(round_)
    actions = positions.actions_for_round(round_)
    initial = None
    if request.method == "GET":
        initial = {"version": str(round_.position_version)}
        for row in rows:
            if row.position is not None:
                initial[f"rating_{row.number}"] = row.position.rating.value
                initial[f"evidence_{row.number}"] = row.position.evidence
        for action in actions:
            initial[f"action_{action.id}"] = action.status.value
    form = position_form(round_.questions, [action.id for action in actions], data=initial)
    problem = None
    if form.validate_on_submit():
        expected = version_or_400(form.version.data)
        agreed = {
            row.question["id"]: PositionInput(
                RatingLevel(form[f"rating_{row.number}"].data), form[f"evidence_{row.number}"].data or ""
            )
            for row in rows
        }
        statuses = {
            action.id: ActionStatus(form[f"action_{action.id}"].data)
            for action in actions
            if form[f"action_{action.id}"].data
        }
        try:
            positions.save_position(
                round_=round_,
                agreed_by=current_user,
                expected_version=expected,
                positions=agreed,
                action_statuses=statuses,
            )
        except rounds.StaleSave as stale:
            db.session.rollback()
            round_ = _led_round_or_404(school, led_round_id)
            rows = positions.position_rows(round_)
            problem = (
                f"{stale}. Nothing was saved from this page. What you entered is still below, with the newer "
                "saved position shown under each question: check both, then save again."
            )
            form.version.data = str(round_.position_version)
        else:
            db.session.commit()
            flash("The agreed position was saved.")
            return redirect(url_for("assess.show_round", round_id=round_.id))
    elif request.method == "POST" and not form.errors:
        abort(400)
    return render_template(
        "assess/edit_position.html",
        school=school,
        round=round_,
        spreads=spreads,
        responses=responses,
        rows=rows,
        actions=actions,
        form=form,
        problem=problem,
        page_has_error=problem is not None,
        Status=ResponseStatus,
    )


@bp.route("/rounds/<int:led_round_id>/actions/new", methods=["GET", "POST"])
@requires(Permission.LEAD_SELF_ASSESSMENT)
def add_action(led_round_id: int):
    school = current_school()
    round_ = _led_round_or_404(school, led_round_id)
    form = ActionForm()
    form.question_id.choices = [
        SelectChoice(question["id"], f"Question {number}: {question['text']}")
        for number, question in enumerate(round_.questions, start=1)
    ]
    if not form.is_submitted():
        form.request_key.data = rounds.new_request_key()
    if form.validate_on_submit():
        if not form.request_key.data:
            abort(400)
        positions.add_action(
            round_=round_,
            created_by=current_user,
            question_id=form.question_id.data,
            description=form.description.data,
            owner=form.owner.data,
            due_on=form.due_on.data,
            status=ActionStatus(form.status.data),
            request_key=form.request_key.data,
        )
        db.session.commit()
        flash("The action was added.")
        return redirect(url_for("assess.edit_position", led_round_id=round_.id))
    return render_template("assess/add_action.html", school=school, round=round_, form=form)
