"""The start page, the signed-in home page, switching school, and the footer's pages."""

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.leadership.own_training import own_training
from app.learning import module_progress
from app.models import Role
from app.people import joining
from app.permissions import Permission, available_contexts, current_context, public, requires
from app.web.catalogue import catalogue
from app.web.main import bp
from app.web.main.forms import SwitchContextForm
from app.web.sessions import safe_next_url


@bp.route("/")
@public
def start():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("main/start.html")


@bp.route("/home")
@requires()
def home():
    context = current_context()
    learner = context is not None and context.can(Permission.TAKE_TRAINING)
    pathways = []
    own = None
    if learner:
        roles = [role.value for role in sorted(context.roles, key=list(Role).index)]
        progress = module_progress.progress_for(current_user.id)
        pathways = module_progress.pathways_for(catalogue(), current_user.id, roles, progress)
        if context.school is not None:
            own = own_training(catalogue(), context.school.id, current_user.id, progress=progress)
    return render_template(
        "main/home.html",
        context=context,
        pathways=pathways,
        own=own,
        learner=learner,
        leader=context is not None and context.can(Permission.VIEW_SCHOOL_OVERVIEW),
        keeps_staff_list=context is not None and context.can(Permission.VIEW_PEOPLE),
        officer=context is not None and context.can(Permission.VIEW_ORGANISATION_SUMMARY),
        invitations=joining.pending_for(current_user),
    )


@bp.route("/switch", methods=["POST"])
@requires()
def switch_context():
    form = SwitchContextForm()
    form.context.choices = [SelectChoice(c.key, c.name) for c in available_contexts()]
    if not form.validate_on_submit():
        # Only a tampered or stale form gets here: the header offers only the person's own schools.
        abort(400)
    session["context"] = form.context.data
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.home"))


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.route("/healthz")
@public
def health():
    return {"status": "ok"}
