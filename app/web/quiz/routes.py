"""Taking a quiz one question at a time, checking answers, submitting, reviewing; and leaders' views."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.content.model import Module
from app.content.question_types import QUESTION_TYPES, AnswerError
from app.extensions import db
from app.learning import module_progress
from app.models.quizzes import AttemptStatus
from app.people import staff
from app.permissions import Permission, current_context, current_school, requires
from app.quizzes import attempts, results, review
from app.web.catalogue import catalogue
from app.web.quiz import bp
from app.web.quiz.forms import ExtraAttemptsForm


def _quiz_module_or_404(module_id: str) -> Module:
    module = catalogue().modules.get(module_id)
    if module is None or module_id not in catalogue().quizzes:
        abort(404)
    return module


def _school_id() -> int | None:
    context = current_context()
    return context.school.id if context and context.school else None


@bp.route("/<module_id>")
@requires(Permission.TAKE_TRAINING)
def show_quiz(module_id: str):
    module = _quiz_module_or_404(module_id)
    return render_template(
        "quiz/show_quiz.html",
        module=module,
        quiz=catalogue().quizzes[module_id],
        record=results.record_for(current_user.id, module_id),
        form=FlaskForm(),
    )


@bp.route("/<module_id>/start", methods=["POST"])
@requires(Permission.TAKE_TRAINING)
def start_attempt(module_id: str):
    module = _quiz_module_or_404(module_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        attempt, _ = attempts.start_or_resume(
            catalogue=catalogue(), user_id=current_user.id, school_id=_school_id(), module=module
        )
    except attempts.NoAttemptsLeft:
        db.session.rollback()
        flash("You have used all your attempts at this quiz. Ask your headteacher or SENCO if you need another.")
        return redirect(url_for("quiz.show_quiz", module_id=module_id))
    db.session.commit()
    return redirect(_question_url(module_id, attempt.id, attempts.resume_number(attempt)))


def _question_url(module_id: str, attempt_id: int, number: int) -> str:
    return url_for("quiz.answer_question", module_id=module_id, attempt_id=attempt_id, number=number)


@bp.route("/<module_id>/attempts/<int:attempt_id>/questions/<int:number>", methods=["GET", "POST"])
@requires(Permission.TAKE_TRAINING)
def answer_question(module_id: str, attempt_id: int, number: int):
    module = _quiz_module_or_404(module_id)
    attempt = attempts.attempt_or_404(current_user.id, module_id, attempt_id)
    questions = attempts.questions_of(catalogue(), attempt)
    if not 1 <= number <= len(questions):
        abort(404)
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        flash("This attempt has been submitted, so its answers cannot change.")
        return redirect(url_for("quiz.show_attempt", module_id=module_id, attempt_id=attempt_id))
    question = questions[number - 1]
    kind = QUESTION_TYPES[question.type]
    order = attempt.option_order[question.id]
    saved = attempts.answers_of(attempt).get(question.id)
    from_check = request.args.get("from") == "check"
    if request.method == "POST":
        form = kind.build_form(question, order, formdata=request.form)
        if form.validate():
            try:
                response = kind.read_answer(form, question)
            except AnswerError as problem:
                _first_answer_field(kind, form, order).errors.append(str(problem))
            else:
                try:
                    attempts.save_answer(attempt, question, response)
                except attempts.AttemptClosed:
                    db.session.rollback()
                    flash("This attempt has been submitted, so its answers cannot change.")
                    return redirect(url_for("quiz.show_attempt", module_id=module_id, attempt_id=attempt_id))
                db.session.commit()
                if from_check or number == len(questions):
                    return redirect(url_for("quiz.check_answers", module_id=module_id, attempt_id=attempt_id))
                return redirect(_question_url(module_id, attempt_id, number + 1))
    else:
        form = kind.build_form(question, order, saved=saved.response if saved else None)
    back = (
        url_for("quiz.check_answers", module_id=module_id, attempt_id=attempt_id)
        if from_check
        else _question_url(module_id, attempt_id, number - 1)
        if number > 1
        else url_for("quiz.show_quiz", module_id=module_id)
    )
    return render_template(
        "quiz/answer_question.html",
        module=module,
        attempt=attempt,
        question=question,
        kind=kind,
        form=form,
        answer_fields=_answer_fields(kind, form, order),
        number=number,
        count=len(questions),
        back=back,
        from_check=from_check,
    )


def _answer_fields(kind, form, order):
    if hasattr(kind, "answer_fields"):
        return kind.answer_fields(form, order)
    return [form.answer]


def _first_answer_field(kind, form, order):
    return _answer_fields(kind, form, order)[0]


@bp.route("/<module_id>/attempts/<int:attempt_id>/check", methods=["GET", "POST"])
@requires(Permission.TAKE_TRAINING)
def check_answers(module_id: str, attempt_id: int):
    module = _quiz_module_or_404(module_id)
    attempt = attempts.attempt_or_404(current_user.id, module_id, attempt_id)
    if attempt.status is not AttemptStatus.IN_PROGRESS and request.method == "GET":
        return redirect(url_for("quiz.show_attempt", module_id=module_id, attempt_id=attempt_id))
    form = FlaskForm()
    unanswered: list[int] = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            result = attempts.submit(
                catalogue=catalogue(), user_id=current_user.id, module=module, attempt_id=attempt_id
            )
        except attempts.NotReadyToSubmit as problem:
            db.session.rollback()
            unanswered = problem.unanswered
        except attempts.AttemptClosed:
            db.session.rollback()
            flash("This attempt was abandoned. Start a new attempt to take the quiz.")
            return redirect(url_for("quiz.show_quiz", module_id=module_id))
        else:
            db.session.commit()
            return redirect(url_for("quiz.show_attempt", module_id=module_id, attempt_id=result.attempt.id))
    questions = attempts.questions_of(catalogue(), attempt)
    answers = attempts.answers_of(attempt)
    rows = [
        (
            number,
            question,
            QUESTION_TYPES[question.type].describe(question, answers[question.id].response)
            if question.id in answers
            else None,
        )
        for number, question in enumerate(questions, start=1)
    ]
    return render_template(
        "quiz/check_answers.html",
        module=module,
        attempt=attempt,
        rows=rows,
        form=form,
        unanswered=unanswered,
        page_has_error=bool(unanswered),
    )


@bp.route("/<module_id>/attempts/<int:attempt_id>/abandon", methods=["POST"])
@requires(Permission.TAKE_TRAINING)
def abandon_attempt(module_id: str, attempt_id: int):
    _quiz_module_or_404(module_id)
    attempt = attempts.attempt_or_404(current_user.id, module_id, attempt_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    attempts.abandon(attempt)
    db.session.commit()
    flash("You have stopped that attempt. It does not count towards your attempts.")
    return redirect(url_for("quiz.show_quiz", module_id=module_id))


@bp.route("/<module_id>/attempts/<int:attempt_id>")
@requires(Permission.TAKE_TRAINING)
def show_attempt(module_id: str, attempt_id: int):
    module = _quiz_module_or_404(module_id)
    attempt = attempts.attempt_or_404(current_user.id, module_id, attempt_id)
    if attempt.status is AttemptStatus.IN_PROGRESS:
        return redirect(url_for("quiz.check_answers", module_id=module_id, attempt_id=attempt_id))
    if attempt.status is AttemptStatus.ABANDONED:
        abort(404)
    reviewed = review.attempt_review(catalogue(), module, attempt)
    return render_template(
        "quiz/show_attempt.html",
        module=module,
        attempt=attempt,
        review=reviewed,
        record=results.record_for(current_user.id, module_id),
        module_completed=_completed(module),
    )


def _completed(module: Module) -> bool:
    progress = module_progress.progress_for(current_user.id, [module.id]).get(module.id)
    return module_progress.status_of(module, progress) is module_progress.ModuleStatus.COMPLETED


# --- For leaders ----------------------------------------------------------------------------------


@bp.route("/results")
@requires(Permission.VIEW_QUIZ_RESULTS)
def quiz_results():
    school = current_school()
    return render_template(
        "quiz/quiz_results.html", school=school, stats=results.school_quiz_stats(catalogue(), school.id)
    )


@bp.route("/results/<module_id>")
@requires(Permission.VIEW_QUIZ_RESULTS)
def quiz_result_detail(module_id: str):
    module = _quiz_module_or_404(module_id)
    school = current_school()
    stats = results.school_quiz_stats(catalogue(), school.id, module_id)
    return render_template(
        "quiz/quiz_result_detail.html",
        school=school,
        module=module,
        stats=stats[0] if stats else None,
        section_label=catalogue().section_label,
    )


@bp.route("/extra-attempts", methods=["GET", "POST"])
@requires(Permission.GRANT_EXTRA_ATTEMPTS)
def extra_attempts():
    school = current_school()
    school_staff = staff.staff_list(school)
    # Never oneself: nobody gives themselves more attempts (the service refuses it too).
    learners = [person for person in school_staff if person.id != current_user.id]
    form = ExtraAttemptsForm()
    form.person.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(str(p.id), f"{p.name} ({p.role_labels})") for p in learners
    ]
    form.module.choices = [SelectChoice("", "Choose a quiz")] + [
        SelectChoice(m.id, m.title) for m in catalogue().modules.values() if m.id in catalogue().quizzes
    ]
    if form.validate_on_submit():
        person_ids = {str(p.id) for p in school_staff}
        if form.person.data not in person_ids:
            form.person.errors.append("Choose a person at this school")
        elif form.module.data not in catalogue().quizzes:
            form.module.errors.append("Choose a quiz from the list")
        else:
            try:
                results.grant_extra_attempts(
                    once_key=form.once.data,
                    school_id=school.id,
                    user_id=int(form.person.data),
                    module_id=form.module.data,
                    extra=form.extra.data,
                    granted_by_id=current_user.id,
                    reason=form.reason.data or None,
                )
            except results.SelfGrantRefused as refused:
                db.session.rollback()
                form.person.errors.append(str(refused))
            else:
                db.session.commit()
                flash("Extra attempts given.")
                return redirect(url_for("quiz.extra_attempts"))
    return render_template(
        "quiz/extra_attempts.html",
        school=school,
        form=form,
        grants=results.grants_in_school(school.id),
        modules=catalogue().modules,
    )
