"""Private reflection on a module's key questions: the person's alone."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.content import catalogue
from app.extensions import db
from app.permissions import Permission, requires
from app.self_assessment import reflections
from app.self_assessment.reflections import ReflectionInput
from app.web.assess import bp
from app.web.assess.forms import rating_from, reflection_form, version_or_400


@bp.route("/reflections/<module_id>", methods=["GET", "POST"])
@requires(Permission.ANSWER_KEY_QUESTIONS)
def reflect_on_module(module_id: str):
    module = catalogue().modules.get(module_id)
    if module is None:
        abort(404)
    questions = [catalogue().key_questions[question_id] for question_id in module.key_question_ids]
    saved = reflections.reflections_of(current_user, module.key_question_ids)
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
                rating_from(form[f"rating_{number}"].data),
                form[f"notes_{number}"].data or "",
                version_or_400(form[f"version_{number}"].data),
            )
            for number, question in enumerate(questions, start=1)
        }
        try:
            reflections.save_reflections(user=current_user, inputs=inputs)
        except reflections.StaleReflections as stale:
            db.session.rollback()
            saved = reflections.reflections_of(current_user, module.key_question_ids)
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
