"""Self-assessment on the key questions: rounds, answering, the agreed position and actions, the trend,
the board report (a printable page and a PDF), an officer's summary, and private reflection."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.assess import bp
from app.assess.charts import trend_chart
from app.assess.forms import ActionForm, OpenRoundForm, position_form, reflection_form, response_form
from app.assess.pdf import html_to_pdf
from app.content import catalogue
from app.extensions import db
from app.models import ActionStatus, RatingLevel, ResponseStatus, Role, School, SelfAssessmentRound
from app.models.base import utcnow
from app.permissions import Permission, current_context, current_school, requires
from app.services import self_assessment
from app.services.self_assessment import (
    AnswerInput,
    PositionInput,
    ReflectionInput,
    SelfAssessmentProblem,
)


@bp.context_processor
def rating_levels():
    return {"rating_levels": list(RatingLevel)}


def _version_or_400(value: str | None) -> int:
    """The version a page was made from. Only a tampered or truncated form lacks a number."""
    try:
        version = int(value or "")
    except ValueError:
        abort(400)
    if version < 0:
        abort(400)
    return version


def _rating(value: str | None) -> RatingLevel | None:
    return RatingLevel(value) if value else None


# ---- rounds -------------------------------------------------------------------------------------


@bp.route("/")
@requires(Permission.ANSWER_KEY_QUESTIONS)
def list_rounds():
    school = current_school()
    context = current_context()
    reads_positions = context.can(Permission.VIEW_SELF_ASSESSMENT)
    rounds = self_assessment.rounds_at(school)
    mine = self_assessment.responses_of(current_user, [round_.id for round_ in rounds])
    visible = [r for r in rounds if reads_positions or r.id in mine or r.lead_id == current_user.id]
    return render_template(
        "assess/list_rounds.html",
        school=school,
        rounds=visible,
        mine=mine,
        may_open=bool(self_assessment.sets_person_may_open(catalogue(), context.roles, context.offices)),
        reads_positions=reads_positions,
        modules=self_assessment.modules_with_key_questions(catalogue()),
        today=date.today(),
        Status=ResponseStatus,
    )


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(Permission.LEAD_SELF_ASSESSMENT)
def open_round():
    school = current_school()
    context = current_context()
    sets = self_assessment.sets_person_may_open(catalogue(), context.roles, context.offices)
    form = OpenRoundForm()
    form.set_id.choices = [SelectChoice(question_set.id, question_set.title) for question_set in sets]
    if not form.is_submitted():
        form.request_key.data = self_assessment.new_request_key()
    if form.validate_on_submit():
        if not form.request_key.data:
            abort(400)
        try:
            round_ = self_assessment.open_round(
                school=school,
                lead=current_user,
                lead_roles=context.roles,
                lead_offices=context.offices,
                question_set=catalogue().key_question_sets[form.set_id.data],
                closes_on=form.closes_on.data,
                invited_roles=[Role(value) for value in form.invited_roles.data],
                request_key=form.request_key.data,
            )
        except self_assessment.NoOneToInvite as problem:
            db.session.rollback()
            form.invited_roles.errors = [*form.invited_roles.errors, str(problem)]
        except self_assessment.ClosingDateInPast as problem:
            db.session.rollback()
            form.closes_on.errors = [*form.closes_on.errors, str(problem)]
        except SelfAssessmentProblem as problem:
            db.session.rollback()
            form.set_id.errors = [*form.set_id.errors, str(problem)]
        else:
            db.session.commit()
            flash(f"The round on {round_.set_title} is open. Everyone invited can now answer it.")
            return redirect(url_for("assess.show_round", round_id=round_.id))
    return render_template("assess/open_round.html", school=school, form=form, sets=sets)


@bp.route("/rounds/<int:round_id>")
@requires(Permission.ANSWER_KEY_QUESTIONS)
def show_round(round_id: int):
    school = current_school()
    context = current_context()
    access = self_assessment.round_access_or_404(
        school, round_id, current_user, reads_positions=context.can(Permission.VIEW_SELF_ASSESSMENT)
    )
    round_ = access.round
    return render_template(
        "assess/show_round.html",
        school=school,
        access=access,
        # The lead's links, while the lead's roles and offices still lead rounds on this set.
        leads=access.is_lead and context.may_lead_set(round_.set_id),
        round=round_,
        rows=self_assessment.position_rows(round_) if access.sees_position else [],
        actions=self_assessment.actions_for_round(round_) if access.sees_position else [],
        today=date.today(),
        Status=ResponseStatus,
    )


# ---- answering ----------------------------------------------------------------------------------


def _answers_as_data(round_, response) -> dict:
    data = {"version": str(response.version)}
    for number, question in enumerate(round_.questions, start=1):
        answer = response.answer_to(question["id"])
        if answer is not None:
            data[f"rating_{number}"] = answer.rating.value if answer.rating else None
            data[f"evidence_{number}"] = answer.evidence
            data[f"next_step_{number}"] = answer.next_step
    return data


@bp.route("/rounds/<int:round_id>/response", methods=["GET", "POST"])
@requires(Permission.ANSWER_KEY_QUESTIONS)
def edit_response(round_id: int):
    school = current_school()
    round_, response = self_assessment.response_or_404(school, round_id, current_user)
    today = date.today()
    read_only = response.status is ResponseStatus.SUBMITTED or not round_.is_open(today)
    if read_only and request.method == "POST" and response.status is ResponseStatus.SUBMITTED:
        # A second click on "Submit", or a save from a tab opened before submitting: already done.
        flash("You have already submitted your answers to this round.")
        return redirect(url_for("assess.edit_response", round_id=round_.id))
    if read_only and request.method == "GET":
        return render_template(
            "assess/edit_response.html", school=school, round=round_, response=response, form=None, read_only=True
        )
    form = response_form(
        round_.questions, data=None if request.method == "POST" else _answers_as_data(round_, response)
    )
    problem = None
    newer = None
    if form.validate_on_submit():
        expected = _version_or_400(form.version.data)
        submit = bool(form.submit_answers.data)
        answers = {
            question["id"]: AnswerInput(
                _rating(form[f"rating_{number}"].data),
                form[f"evidence_{number}"].data or "",
                form[f"next_step_{number}"].data or "",
            )
            for number, question in enumerate(round_.questions, start=1)
        }
        try:
            self_assessment.save_response(
                round_=round_, response=response, expected_version=expected, answers=answers, submit=submit
            )
        except self_assessment.StaleSave as stale:
            db.session.rollback()
            _, newer = self_assessment.response_or_404(school, round_id, current_user)
            if newer.status is ResponseStatus.SUBMITTED:
                flash("You have already submitted your answers to this round.")
                return redirect(url_for("assess.edit_response", round_id=round_.id))
            problem = (
                f"{stale}. Nothing was saved from this page. "
                "What you typed is still below, with the newer saved answers shown under each question: "
                "check both, then save again."
            )
            # Saving again from this page now builds on the newer answers, knowingly.
            form.version.data = str(newer.version)
        except self_assessment.RoundClosed as closed:
            db.session.rollback()
            problem = str(closed)
        except self_assessment.RatingsMissing as missing:
            db.session.rollback()
            for number, question in enumerate(round_.questions, start=1):
                if question["id"] in missing.question_ids:
                    field = form[f"rating_{number}"]
                    field.errors = [*field.errors, f"Select a rating for question {number}"]
        except self_assessment.AlreadySubmitted:
            db.session.rollback()
            flash("You have already submitted your answers to this round.")
            return redirect(url_for("assess.edit_response", round_id=round_.id))
        else:
            db.session.commit()
            if submit:
                minutes = sum(1 for a in answers.values() if a.rating) * self_assessment.MINUTES_PER_QUESTION
                done = f"{minutes} minutes of reflective practice were added to your CPD record."
                flash(f"Your answers were submitted. {done}")
                return redirect(url_for("assess.show_round", round_id=round_.id))
            flash("Your draft was saved. Only you can see it until you submit.")
            return redirect(url_for("assess.edit_response", round_id=round_.id))
    elif request.method == "POST" and not form.errors:
        abort(400)
    return render_template(
        "assess/edit_response.html",
        school=school,
        round=round_,
        response=response,
        form=form,
        read_only=False,
        problem=problem,
        newer=newer,
        page_has_error=problem is not None,
    )


# ---- the lead: answers, agreed position, actions ------------------------------------------------


# The lead's pages take `led_round_id`: to anyone but the round's lead they do not exist (404), and a
# lead whose roles and offices here no longer lead the round's set is forbidden them (403).
def _led_round_or_404(school: School, led_round_id: int) -> SelfAssessmentRound:
    context = current_context()
    return self_assessment.lead_round_or_404(
        school, led_round_id, current_user, lead_roles=context.roles, lead_offices=context.offices
    )


@bp.route("/rounds/<int:led_round_id>/position", methods=["GET", "POST"])
@requires(Permission.LEAD_SELF_ASSESSMENT)
def edit_position(led_round_id: int):
    school = current_school()
    round_ = _led_round_or_404(school, led_round_id)
    spreads, responses = self_assessment.spread_of_answers(round_)
    rows = self_assessment.position_rows(round_)
    actions = self_assessment.actions_for_round(round_)
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
        expected = _version_or_400(form.version.data)
        positions = {
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
            self_assessment.save_position(
                round_=round_,
                agreed_by=current_user,
                expected_version=expected,
                positions=positions,
                action_statuses=statuses,
            )
        except self_assessment.StaleSave as stale:
            db.session.rollback()
            round_ = _led_round_or_404(school, led_round_id)
            rows = self_assessment.position_rows(round_)
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
        form.request_key.data = self_assessment.new_request_key()
    if form.validate_on_submit():
        if not form.request_key.data:
            abort(400)
        self_assessment.add_action(
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


# ---- for the board ------------------------------------------------------------------------------


def _render_board_report(round_id: int, *, for_pdf: bool) -> str:
    school = current_school()
    round_ = self_assessment.round_or_404(school, round_id)
    return render_template(
        "assess/board_report.html",
        school=school,
        round=round_,
        rows=self_assessment.position_rows(round_),
        actions=self_assessment.actions_for_round(round_),
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
    trends = self_assessment.trend_at(school)
    return render_template(
        "assess/show_trend.html", school=school, trends=[(trend, trend_chart(trend)) for trend in trends]
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
        schools=self_assessment.organisation_positions(context.organisation),
    )


# ---- private reflection -------------------------------------------------------------------------


@bp.route("/reflections/<module_id>", methods=["GET", "POST"])
@requires(Permission.ANSWER_KEY_QUESTIONS)
def reflect_on_module(module_id: str):
    module = catalogue().modules.get(module_id)
    if module is None:
        abort(404)
    questions = [catalogue().key_questions[question_id] for question_id in module.key_question_ids]
    saved = self_assessment.reflections_of(current_user, module.key_question_ids)
    initial = None
    if request.method == "GET":
        initial = {}
        for number, question in enumerate(questions, start=1):
            reflection = saved.get(question.id)
            initial[f"version_{number}"] = str(reflection.version if reflection else 0)
            if reflection is not None:
                initial[f"rating_{number}"] = reflection.rating.value if reflection.rating else None
                initial[f"notes_{number}"] = reflection.notes
    form = reflection_form(len(questions), data=initial)
    problem = None
    stale_ids: list[str] = []
    if questions and form.validate_on_submit():
        inputs = {
            question.id: ReflectionInput(
                _rating(form[f"rating_{number}"].data),
                form[f"notes_{number}"].data or "",
                _version_or_400(form[f"version_{number}"].data),
            )
            for number, question in enumerate(questions, start=1)
        }
        try:
            self_assessment.save_reflections(user=current_user, inputs=inputs)
        except self_assessment.StaleReflections as stale:
            db.session.rollback()
            saved = self_assessment.reflections_of(current_user, module.key_question_ids)
            stale_ids = stale.question_ids
            problem = (
                f"{stale}. Nothing was saved from this page. What you typed is still below, with the newer "
                "saved reflection shown under the question: check both, then save again."
            )
            for number, question in enumerate(questions, start=1):
                form[f"version_{number}"].data = str(saved[question.id].version if question.id in saved else 0)
        else:
            db.session.commit()
            flash("Your reflections were saved. Only you can see them.")
            return redirect(url_for("assess.reflect_on_module", module_id=module.id))
    elif request.method == "POST" and not form.errors:
        abort(400)
    return render_template(
        "assess/reflect_on_module.html",
        module=module,
        questions=questions,
        saved=saved,
        stale_ids=stale_ids,
        form=form,
        problem=problem,
        page_has_error=problem is not None,
    )
