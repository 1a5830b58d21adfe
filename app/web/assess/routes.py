"""Self-assessment on the key questions: rounds, answering, the agreed position and actions, the trend,
the board report (a printable page and a PDF), an officer's summary, and private reflection."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.content import catalogue
from app.extensions import db
from app.models import Role
from app.permissions import Permission, current_context, current_school, requires
from app.self_assessment import answers, positions, reflections, rounds
from app.self_assessment.answers import AnswerInput
from app.self_assessment.models import RatingLevel, ResponseStatus
from app.self_assessment.rounds import SelfAssessmentProblem
from app.web.assess import bp
from app.web.assess.forms import OpenRoundForm, rating_from, response_form, version_or_400


@bp.context_processor
def rating_levels():
    return {"rating_levels": list(RatingLevel)}


# ---- rounds -------------------------------------------------------------------------------------


@bp.route("/")
@requires(Permission.ANSWER_KEY_QUESTIONS)
def list_rounds():
    school = current_school()
    context = current_context()
    reads_positions = context.can(Permission.VIEW_SELF_ASSESSMENT)
    school_rounds = rounds.rounds_at(school)
    mine = rounds.responses_of(current_user, [round_.id for round_ in school_rounds])
    visible = [r for r in school_rounds if reads_positions or r.id in mine or r.lead_id == current_user.id]
    today = date.today()
    # Rounds the person is asked to answer that are open and not yet answered: answering is their next step.
    to_answer = [
        r for r in visible if r.id in mine and mine[r.id].status is not ResponseStatus.SUBMITTED and r.is_open(today)
    ]
    return render_template(
        "assess/list_rounds.html",
        school=school,
        rounds=visible,
        to_answer=to_answer,
        mine=mine,
        may_open=bool(rounds.sets_person_may_open(catalogue(), context.roles, context.offices)),
        reads_positions=reads_positions,
        modules=reflections.modules_with_key_questions(catalogue()),
        today=today,
        Status=ResponseStatus,
    )


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(Permission.LEAD_SELF_ASSESSMENT)
def open_round():
    school = current_school()
    context = current_context()
    sets = rounds.sets_person_may_open(catalogue(), context.roles, context.offices)
    form = OpenRoundForm()
    form.set_id.choices = [SelectChoice(question_set.id, question_set.title) for question_set in sets]
    if not form.is_submitted():
        form.request_key.data = rounds.new_request_key()
    if form.validate_on_submit():
        if not form.request_key.data:
            abort(400)
        try:
            round_ = rounds.open_round(
                school=school,
                lead=current_user,
                lead_roles=context.roles,
                lead_offices=context.offices,
                question_set=catalogue().key_question_sets[form.set_id.data],
                closes_on=form.closes_on.data,
                invited_roles=[Role(value) for value in form.invited_roles.data],
                request_key=form.request_key.data,
            )
        except rounds.NoOneToInvite as problem:
            db.session.rollback()
            form.invited_roles.errors = [*form.invited_roles.errors, str(problem)]
        except rounds.ClosingDateInPast as problem:
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
    access = rounds.round_access_or_404(
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
        rows=positions.position_rows(round_) if access.sees_position else [],
        actions=positions.actions_for_round(round_) if access.sees_position else [],
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
    round_, response = answers.response_or_404(school, round_id, current_user)
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
        expected = version_or_400(form.version.data)
        submit = bool(form.submit_answers.data)
        typed = {
            question["id"]: AnswerInput(
                rating_from(form[f"rating_{number}"].data),
                form[f"evidence_{number}"].data or "",
                form[f"next_step_{number}"].data or "",
            )
            for number, question in enumerate(round_.questions, start=1)
        }
        try:
            answers.save_response(
                round_=round_, response=response, expected_version=expected, answers=typed, submit=submit
            )
        except rounds.StaleSave as stale:
            db.session.rollback()
            _, newer = answers.response_or_404(school, round_id, current_user)
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
        except rounds.RoundClosed as closed:
            db.session.rollback()
            problem = str(closed)
        except rounds.RatingsMissing as missing:
            db.session.rollback()
            for number, question in enumerate(round_.questions, start=1):
                if question["id"] in missing.question_ids:
                    field = form[f"rating_{number}"]
                    field.errors = [*field.errors, f"Select a rating for question {number}"]
        except rounds.AlreadySubmitted:
            db.session.rollback()
            flash("You have already submitted your answers to this round.")
            return redirect(url_for("assess.edit_response", round_id=round_.id))
        else:
            db.session.commit()
            if submit:
                minutes = sum(1 for a in typed.values() if a.rating) * rounds.MINUTES_PER_QUESTION
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
