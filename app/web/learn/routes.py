"""Your training, the catalogue, the module reader and the glossary."""

from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.content.model import Module
from app.extensions import db
from app.leadership.own_training import OwnTraining, own_training
from app.learning import calendar_feed as feeds
from app.learning import module_progress
from app.learning import search as content_search
from app.models import Role
from app.permissions import Permission, current_context, public, requires
from app.platform import email
from app.web.catalogue import catalogue
from app.web.learn import bp


def _own_training(progress: dict | None = None) -> OwnTraining:
    """What the school the person is working in requires of them (nothing outside a school)."""
    context = current_context()
    if context is None or context.school is None:
        return OwnTraining([], today=date.today())
    return own_training(catalogue(), context.school.id, current_user.id, progress=progress)


def _module_or_404(module_id: str) -> Module:
    module = catalogue().modules.get(module_id)
    if module is None:
        abort(404)
    return module


@bp.route("/")
@requires(Permission.TAKE_TRAINING)
def your_training():
    context = current_context()
    roles = [role.value for role in sorted(context.roles, key=list(Role).index)]
    # The person's progress in every module, read once for the three parts of the page.
    progress = module_progress.progress_for(current_user.id)
    return render_template(
        "learn/your_training.html",
        pathways=module_progress.pathways_for(catalogue(), current_user.id, roles, progress),
        from_school=module_progress.school_modules_for(catalogue(), current_user.id, roles, progress),
        own=_own_training(progress),
        Status=module_progress.ModuleStatus,
    )


@bp.route("/modules")
@requires(Permission.TAKE_TRAINING)
def list_modules():
    role = request.args.get("role", "")
    modules = list(catalogue().modules.values())
    if role in {r.value for r in Role}:
        modules = [module for module in modules if role in module.audience]
    else:
        role = ""
    progress = module_progress.progress_for(current_user.id)
    rows = [(module, module_progress.status_of(module, progress.get(module.id))) for module in modules]
    roles = [r for r in Role if any(r.value in m.audience for m in catalogue().modules.values())]
    return render_template("learn/list_modules.html", rows=rows, roles=roles, chosen_role=role)


@bp.route("/modules/<module_id>")
@requires(Permission.TAKE_TRAINING)
def show_module(module_id: str):
    module = _module_or_404(module_id)
    progress = module_progress.progress_for(current_user.id, [module.id]).get(module.id)
    return render_template(
        "learn/show_module.html",
        module=module,
        status=module_progress.status_of(module, progress),
        pages_read=module_progress.pages_read_now(module, progress),
        resume_slug=module_progress.resume_page(module, progress),
        has_quiz=module.id in catalogue().quizzes,
        required=_own_training().for_module(module.id),
        changes=module_progress.changes_since_completed(catalogue(), module, progress),
        section_label=catalogue().section_label,
        Status=module_progress.ModuleStatus,
    )


@bp.route("/modules/<module_id>/pages/<slug>", methods=["GET", "POST"])
@requires(Permission.TAKE_TRAINING)
def show_page(module_id: str, slug: str):
    module = _module_or_404(module_id)
    page = module.page(slug)
    if page is None:
        abort(404)
    form = FlaskForm()
    if form.validate_on_submit():
        context = current_context()
        module_progress.record_page_read(
            catalogue=catalogue(),
            user_id=current_user.id,
            school_id=context.school.id if context and context.school else None,
            module=module,
            slug=slug,
        )
        db.session.commit()
        if page.number < len(module.pages):
            next_page = module.pages[page.number]
            return redirect(url_for("learn.show_page", module_id=module.id, slug=next_page.slug))
        return redirect(url_for("learn.finish_module", module_id=module.id))
    if request.method == "POST":
        abort(400)
    previous_page = module.pages[page.number - 2] if page.number > 1 else None
    return render_template(
        "learn/show_page.html",
        module=module,
        page=page,
        previous_page=previous_page,
        form=form,
        section_label=catalogue().section_label,
    )


@bp.route("/modules/<module_id>/finish")
@requires(Permission.TAKE_TRAINING)
def finish_module(module_id: str):
    module = _module_or_404(module_id)
    progress = module_progress.progress_for(current_user.id, [module.id]).get(module.id)
    read = module_progress.pages_read_now(module, progress)
    return render_template(
        "learn/finish_module.html",
        module=module,
        status=module_progress.status_of(module, progress),
        unread=[page for page in module.pages if page.slug not in read],
        key_questions=[catalogue().key_questions[kq] for kq in module.key_question_ids],
        has_quiz=module.id in catalogue().quizzes,
        quiz_passed=module_progress.has_passed_quiz(current_user.id, module.id),
        Status=module_progress.ModuleStatus,
    )


@bp.route("/glossary")
@requires(Permission.TAKE_TRAINING)
def glossary():
    return render_template("learn/glossary.html", terms=catalogue().glossary, section_label=catalogue().section_label)


@bp.route("/search")
@requires(Permission.TAKE_TRAINING)
def search():
    """One search box over the module pages, the glossary and the key questions (a GET form)."""
    query = (request.args.get("q") or "").strip()[: content_search.MAX_QUERY_LENGTH]
    results = content_search.search(catalogue(), query) if query else []
    # The first search after new content builds the index: keep it for the searches after.
    db.session.commit()
    return render_template("learn/search.html", query=query, results=results, Kind=content_search.Kind)


@bp.route("/calendar/<secret>.ics")
@public
def calendar_feed(secret: str):
    """A person's due dates for their calendar app: the secret in the address is the key (no session)."""
    person = feeds.person_for_secret(secret)
    if person is None:
        abort(404)
    return Response(
        feeds.feed(catalogue(), person),
        mimetype="text/calendar",
        headers={"Cache-Control": "private, no-store", "Content-Disposition": 'inline; filename="send-ready.ics"'},
    )


@bp.app_template_filter("glossary_anchor")
def glossary_anchor(term: str) -> str:
    return content_search.glossary_anchor(term)


@bp.route("/emails")
@requires()
def emails_sent():
    return render_template("learn/emails_sent.html", messages=email.messages_for(current_user.id))
