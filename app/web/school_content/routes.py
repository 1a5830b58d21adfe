"""A school's own modules: writing them as drafts, previewing pages, questions, and publishing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.permissions import Permission, current_school, requires
from app.school_content import modules as school_modules
from app.school_content.markdown import render_school_markdown
from app.school_content.models import SchoolModule
from app.web.school_content import bp
from app.web.school_content.forms import (
    OPTION_LETTERS,
    ConfirmForm,
    ModuleDetailsForm,
    PageForm,
    QuestionForm,
    RemoveForm,
)


def bounded_positive(raw: str) -> int | None:
    """A page or question number as typed in a form or address: 1 to 1,000, else None."""
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 4 and 1 <= int(raw) <= 1000 else None


def _module_or_404(school_module_id: int) -> SchoolModule:
    module = school_modules.module_at(current_school().id, school_module_id)
    if module is None:
        abort(404)
    return module


def _details_from(form: ModuleDetailsForm) -> school_modules.ModuleDetails:
    return school_modules.ModuleDetails(
        title=form.title.data,
        summary=form.summary.data,
        audience=form.audience.data,
        minutes=form.minutes.data,
        outcomes=(form.outcomes.data or "").splitlines(),
    )


@bp.route("/modules")
@requires(Permission.WRITE_SCHOOL_CONTENT)
def list_modules():
    return render_template("school_content/list_modules.html", modules=school_modules.modules_of(current_school().id))


@bp.route("/modules/new", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def new_module():
    form = ModuleDetailsForm()
    if form.validate_on_submit():
        module = school_modules.create(
            school_id=current_school().id, created_by_id=current_user.id, details=_details_from(form)
        )
        db.session.commit()
        flash("Module started. Add its pages, and questions if you want a quiz, then publish it.")
        return redirect(url_for("school_content.show_module", school_module_id=module.id))
    return render_template("school_content/module_details.html", form=form, module=None)


@bp.route("/modules/<int:school_module_id>")
@requires(Permission.WRITE_SCHOOL_CONTENT)
def show_module(school_module_id: int):
    module = _module_or_404(school_module_id)
    return render_template(
        "school_content/show_module.html",
        module=module,
        draft=module.draft,
        problems=school_modules.publication_problems(module.draft),
        publish_form=ConfirmForm(),
        remove_form=RemoveForm(),
    )


@bp.route("/modules/<int:school_module_id>/details", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def edit_details(school_module_id: int):
    module = _module_or_404(school_module_id)
    draft = module.draft
    form = ModuleDetailsForm(
        data=None
        if request.method == "POST"
        else {
            "title": draft["title"],
            "summary": draft["summary"],
            "audience": draft["audience"],
            "minutes": draft["minutes"],
            "outcomes": "\n".join(draft["outcomes"]),
        }
    )
    if form.validate_on_submit():
        school_modules.update_details(module, _details_from(form))
        db.session.commit()
        flash("Details saved. Publish the module when you want staff to see the change.")
        return redirect(url_for("school_content.show_module", school_module_id=module.id))
    return render_template("school_content/module_details.html", form=form, module=module)


def _number_arg(name: str, count: int) -> int | None:
    """A page or question number from the query string: None for a new one, 404 for one that is not there."""
    raw = request.args.get(name)
    if raw is None:
        return None
    number = bounded_positive(raw)
    if number is None or number > count:
        abort(404)
    return number


@bp.route("/modules/<int:school_module_id>/page", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def edit_page(school_module_id: int):
    """Add a page, or change page ?page=N. Preview shows the page as staff will see it, without saving."""
    module = _module_or_404(school_module_id)
    number = _number_arg("page", len(module.draft["pages"]))
    if number is None and len(module.draft["pages"]) >= school_modules.MAX_PAGES:
        flash(f"A module has at most {school_modules.MAX_PAGES} pages.")
        return redirect(url_for("school_content.show_module", school_module_id=module.id))
    existing = module.draft["pages"][number - 1] if number else None
    form = PageForm(data=existing if request.method == "GET" and existing else None)
    preview = None
    if form.validate_on_submit():
        if form.preview.data:
            preview = render_school_markdown(form.body.data)
        else:
            saved = school_modules.save_page(module, number, form.title.data, form.body.data)
            db.session.commit()
            flash(f"Page {saved} saved.")
            return redirect(url_for("school_content.show_module", school_module_id=module.id))
    return render_template("school_content/edit_page.html", form=form, module=module, number=number, preview=preview)


@bp.route("/modules/<int:school_module_id>/page/remove", methods=["POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def remove_page(school_module_id: int):
    return _remove_from_draft(school_module_id, "pages", school_modules.remove_page, "Page")


def _question_from(form: QuestionForm) -> dict | None:
    """The question in the content format, or None with the form's fields marked with what is wrong."""
    kind = form.type.data
    options = []
    for letter in OPTION_LETTERS:
        text = (form[f"option_{letter}"].data or "").strip()
        why = (form[f"why_{letter}"].data or "").strip()
        if not text:
            if why:
                form[f"option_{letter}"].errors.append("Enter the option, or remove the reason given for it")
            continue
        option = {"id": letter, "text": text}
        if kind in ("single_choice", "multiple_choice"):
            if not why:
                form[f"why_{letter}"].errors.append("Say why this option is right or wrong")
            option["feedback"] = why
        options.append(option)
    question = {
        "type": kind,
        "kind": "recall",
        "prompt": form.prompt.data.strip(),
        "feedback": form.feedback.data.strip(),
        "page": form.page.data,
        "options": [] if kind == "true_false" else options,
        "items": [],
    }
    present = {option["id"] for option in options}
    correct = [letter for letter in form.correct.data or [] if letter in present]
    if kind == "true_false":
        if form.true_false_answer.data not in ("true", "false"):
            form.true_false_answer.errors.append("Choose whether the statement is true or false")
        question["answer"] = form.true_false_answer.data == "true"
    elif kind == "single_choice":
        if len(options) < 2:
            form.option_a.errors.append("Enter at least 2 options")
        if len(correct) != 1:
            form.correct.errors.append("Select the one option that is right")
        question["answer"] = correct[0] if correct else None
    elif kind == "multiple_choice":
        if len(options) < 3:
            form.option_a.errors.append("Enter at least 3 options")
        if not correct:
            form.correct.errors.append("Select every option that is right")
        question["answer"] = correct
    else:  # ordering: the options as written are the right order
        if len(options) < 3:
            form.option_a.errors.append("Enter at least 3 steps, in the right order")
        question["answer"] = [option["id"] for option in options]
    if any(field.errors for field in form):
        return None
    problems = school_modules.question_problems(question)
    if problems:
        form.prompt.errors.extend(problems)
        return None
    return question


def _form_data_of(question: dict) -> dict:
    data = {
        "type": question["type"],
        "prompt": question["prompt"],
        "feedback": question["feedback"],
        "page": question.get("page"),
    }
    for option in question.get("options") or []:
        data[f"option_{option['id']}"] = option["text"]
        data[f"why_{option['id']}"] = option.get("feedback") or ""
    answer = question.get("answer")
    if question["type"] == "true_false":
        data["true_false_answer"] = "true" if answer else "false"
    elif question["type"] == "single_choice":
        data["correct"] = [answer]
    elif question["type"] == "multiple_choice":
        data["correct"] = list(answer)
    return data


@bp.route("/modules/<int:school_module_id>/question", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def edit_question(school_module_id: int):
    """Add a question, or change question ?question=N."""
    module = _module_or_404(school_module_id)
    questions = module.draft["questions"]
    number = _number_arg("question", len(questions))
    existing = questions[number - 1] if number else None
    if number is None and len(questions) >= school_modules.MAX_QUESTIONS:
        flash(f"A module has at most {school_modules.MAX_QUESTIONS} questions.")
        return redirect(url_for("school_content.show_module", school_module_id=module.id))
    editable = existing is None or (
        existing["type"] != "matching" and all(o["id"] in OPTION_LETTERS for o in existing.get("options") or [])
    )
    if not editable:
        flash("This question came from an import and cannot be changed here. Remove it and import it again.")
        return redirect(url_for("school_content.show_module", school_module_id=module.id))
    form = QuestionForm(data=_form_data_of(existing) if request.method == "GET" and existing else None)
    pages = module.draft["pages"]
    form.page.choices = [
        SelectChoice(school_modules.page_slug(n), f"{n}. {page['title']}") for n, page in enumerate(pages, start=1)
    ] or [SelectChoice(school_modules.page_slug(1), "The first page (add pages first)")]
    if form.validate_on_submit():
        if form.page.data not in {choice.value for choice in form.page.choices}:
            form.page.errors.append("Choose the page it is taught on")
        question = _question_from(form)
        if question is not None:
            saved = school_modules.save_question(module, number, question)
            db.session.commit()
            flash(f"Question {saved} saved.")
            return redirect(url_for("school_content.show_module", school_module_id=module.id))
    return render_template(
        "school_content/edit_question.html", form=form, module=module, number=number, letters=OPTION_LETTERS
    )


@bp.route("/modules/<int:school_module_id>/question/remove", methods=["POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def remove_question(school_module_id: int):
    return _remove_from_draft(school_module_id, "questions", school_modules.remove_question, "Question")


def _remove_from_draft(school_module_id: int, part: str, remove, noun: str):
    """Remove the page or question numbered in the form from the module's draft; 400 for a number the
    draft does not have (only a tampered or stale form sends one)."""
    module = _module_or_404(school_module_id)
    number = bounded_positive(request.form.get("number", ""))
    if not RemoveForm().validate_on_submit() or number is None or number > len(module.draft[part]):
        abort(400)
    remove(module, number)
    db.session.commit()
    flash(f"{noun} {number} removed from the draft.")
    return redirect(url_for("school_content.show_module", school_module_id=module.id))


@bp.route("/modules/<int:school_module_id>/publish", methods=["POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def publish_module(school_module_id: int):
    module = _module_or_404(school_module_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    before = module.published_version
    try:
        version = school_modules.publish(module, current_user.id)
    except school_modules.PublishRefused as refused:
        db.session.rollback()
        return render_template(
            "school_content/show_module.html",
            module=module,
            draft=module.draft,
            problems=refused.problems,
            publish_form=ConfirmForm(),
            remove_form=RemoveForm(),
            page_has_error=True,
        ), 400
    db.session.commit()
    if before is None:
        flash(
            "Published. Staff at your school can find it in the catalogue; "
            "add it to a role's requirements to ask them to complete it."
        )
    elif before != version:
        flash("A new version is published. Anyone who completed an earlier one will see it was updated.")
    else:
        flash("Nothing has changed since it was last published.")
    return redirect(url_for("school_content.show_module", school_module_id=module.id))
