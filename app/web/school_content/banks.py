"""Question banks: importing Moodle XML and GIFT into a school's module, and downloading any module's bank."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for

from app.content import question_banks
from app.extensions import db
from app.permissions import Permission, requires
from app.school_content import modules as school_modules
from app.web.catalogue import catalogue
from app.web.school_content import bp
from app.web.school_content.forms import ImportQuestionsForm
from app.web.school_content.routes import _module_or_404


def _bank_of_or_404(module_id: str):
    """A module in the catalogue the person's school sees (national, or the school's own) and its questions."""
    content = catalogue()
    module, quiz = content.modules.get(module_id), content.quizzes.get(module_id)
    if module is None or quiz is None:
        abort(404)
    return module, quiz


def _download(text: str, mimetype: str, filename: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/questions/<module_id>/moodle.xml")
@requires(Permission.WRITE_SCHOOL_CONTENT)
def download_moodle_xml(module_id: str):
    module, quiz = _bank_of_or_404(module_id)
    text = question_banks.to_moodle_xml(quiz.questions, category=module.title)
    return _download(text, "application/xml", f"{module.id}-questions.xml")


@bp.route("/questions/<module_id>/gift.txt")
@requires(Permission.WRITE_SCHOOL_CONTENT)
def download_gift(module_id: str):
    module, quiz = _bank_of_or_404(module_id)
    text = question_banks.to_gift(quiz.questions, category=module.title)
    return _download(text, "text/plain", f"{module.id}-questions.gift.txt")


def _read(data: bytes, bank_format: str) -> question_banks.ImportPreview:
    if bank_format == "moodle":
        return question_banks.read_moodle_xml(data)
    return question_banks.read_gift(data)


def _format_of(filename: str, data: bytes) -> str:
    return "moodle" if filename.lower().endswith(".xml") or data.lstrip().startswith(b"<") else "gift"


@bp.route("/modules/<int:school_module_id>/import", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def import_questions(school_module_id: int):
    """Upload, see what would be added (and what is skipped or wrong), then add all of it or nothing."""
    module = _module_or_404(school_module_id)
    form = ImportQuestionsForm()
    preview = None
    if form.validate_on_submit():
        if form.confirm.data:
            data, bank_format = (form.bank_text.data or "").encode(), form.bank_format.data or "gift"
        else:
            upload = form.file.data
            if upload is None or not getattr(upload, "filename", ""):
                form.file.errors.append("Choose a Moodle XML or GIFT file")
                return render_template("school_content/import_questions.html", form=form, module=module, preview=None)
            data = upload.stream.read(question_banks.MAX_FILE_BYTES + 1)
            bank_format = _format_of(upload.filename, data)
        try:
            preview = _read(data, bank_format)
        except question_banks.BankError as refused:
            form.file.errors.extend(refused.problems)
            return render_template("school_content/import_questions.html", form=form, module=module, preview=None)
        pages = {school_modules.page_slug(n) for n in range(1, len(module.draft["pages"]) + 1)}
        for question in preview.questions:
            # A page this module does not have (an export from another module) becomes its first page.
            if question.get("page") not in pages:
                question["page"] = school_modules.page_slug(1)
            question["source"] = "school"
            question.pop("name", None)
        if form.confirm.data and preview.questions and not preview.problems:
            try:
                added = school_modules.add_questions(module, preview.questions)
            except school_modules.PublishRefused as refused:
                db.session.rollback()
                preview.problems.extend(refused.problems)
            else:
                db.session.commit()
                flash(f"{added} questions added to the draft. Publish the module when you are ready.")
                return redirect(url_for("school_content.show_module", school_module_id=module.id))
        form.bank_text.data = data.decode("utf-8", errors="replace")
        form.bank_format.data = bank_format
    return render_template("school_content/import_questions.html", form=form, module=module, preview=preview)
