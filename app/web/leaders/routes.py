"""Leaders' review: the staff training dashboard, assignments, requirements and the board report."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.leadership import board_report as board_reports
from app.leadership import snapshots
from app.leadership import staff_training as dashboards
from app.learning import assignments, requirements
from app.models import SCHOOL_ROLES, Role
from app.people import staff_rows
from app.people.staff import person_in_school_or_404
from app.permissions import Permission, current_school, requires
from app.platform.pdf import render_pdf
from app.records import certificate_bundles
from app.web.catalogue import catalogue
from app.web.leaders import bp
from app.web.leaders.forms import AssignTrainingForm, CertificateBundleForm, RefreshForm, RequirementForm


@bp.route("/training-content")
@requires(Permission.VIEW_CONTENT_REVIEWS)
def training_content():
    """Each module's last review and next review date, and the changes in the law it was updated for."""
    content = catalogue()
    return render_template(
        "leaders/training_content.html",
        modules=sorted(content.modules.values(), key=lambda module: module.title),
        modules_by_id=content.modules,
        changes=content.changes,
        section_label=content.section_label,
        today=date.today(),
    )


@bp.route("/staff-training")
@requires(Permission.VIEW_STAFF_TRAINING)
def staff_training():
    school = current_school()
    chosen = dashboards.DashboardFilter.from_args(request.args)
    training = snapshots.for_school(catalogue(), school)
    return render_template(
        "leaders/staff_training.html",
        school=school,
        dashboard=dashboards.apply_filter(training.dashboard, chosen),
        summary=training.role_summary,
        people_counts=training.people_counts,
        needs_action=dashboards.NEEDS_ACTION,
        chosen=chosen,
        statuses=list(dashboards.TrainingStatus),
        roles=[role for role in Role if role in SCHOOL_ROLES],
        by_month=training.by_month,
        checks=training.checks,
        modules=catalogue().modules,
    )


@bp.route("/staff-training.csv")
@requires(Permission.VIEW_STAFF_TRAINING)
def staff_training_csv():
    school = current_school()
    chosen = dashboards.DashboardFilter.from_args(request.args)
    shown = dashboards.apply_filter(snapshots.for_school(catalogue(), school).dashboard, chosen)
    if not shown.rows:
        flash("Nobody matches these filters, so there is nothing to download. Change or clear the filters.")
        return redirect(url_for("leaders.staff_training", **chosen.as_args()))
    body = dashboards.dashboard_csv(catalogue(), shown)
    filename = f"staff-training-{school.urn}-{date.today().isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/staff-training/certificates", methods=["GET", "POST"])
@requires(Permission.VIEW_STAFF_TRAINING)
def certificate_bundle():
    """Staff certificates for a filter as one zip: at once if few, otherwise built in the background."""
    school = current_school()
    form = CertificateBundleForm()
    form.module.choices = [SelectChoice("", "All modules")] + [
        SelectChoice(module.id, module.title)
        for module in sorted(catalogue().modules.values(), key=lambda module: module.title)
    ]
    form.role.choices = [SelectChoice("", "All roles")] + [SelectChoice(r.value, r.label) for r in SCHOOL_ROLES]
    if form.validate_on_submit():
        chosen = certificate_bundles.BundleFilter(
            module_id=form.module.data or None,
            role=form.role.data or None,
            completed_from=form.completed_from.data,
            completed_to=form.completed_to.data,
        )
        items = certificate_bundles.staff_certificates(catalogue(), school, chosen)
        if not items:
            form.module.errors.append("No certificates match these choices. Choose a wider date range or all modules")
        elif len(items) <= certificate_bundles.in_request_limit():
            body = certificate_bundles.zip_in_request(items)
            filename = certificate_bundles.zip_name(school)
            return Response(
                body,
                mimetype="application/zip",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        else:
            bundle = certificate_bundles.request_bundle(school, current_user, chosen, total=len(items))
            return redirect(url_for("leaders.certificate_bundle_progress", bundle_id=bundle.id))
    return render_template(
        "leaders/certificate_bundle.html", school=school, form=form, limit=certificate_bundles.in_request_limit()
    )


@bp.route("/staff-training/certificates/<int:bundle_id>")
@requires(Permission.VIEW_STAFF_TRAINING)
def certificate_bundle_progress(bundle_id: int):
    bundle = certificate_bundles.bundle_of_school_or_404(current_school(), bundle_id)
    return render_template(
        "leaders/certificate_bundle_progress.html",
        bundle=bundle,
        chosen=certificate_bundles.BundleFilter.from_dict(bundle.filters),
        modules=catalogue().modules,
        role_labels={r.value: r.label for r in SCHOOL_ROLES},
    )


@bp.route("/staff-training/certificates/<int:bundle_id>.zip")
@requires(Permission.VIEW_STAFF_TRAINING)
def certificate_bundle_download(bundle_id: int):
    school = current_school()
    bundle = certificate_bundles.bundle_of_school_or_404(school, bundle_id)
    path = certificate_bundles.bundle_path(bundle)
    if bundle.status != certificate_bundles.BUNDLE_READY or path is None or not path.exists():
        return redirect(url_for("leaders.certificate_bundle_progress", bundle_id=bundle.id))
    return send_file(
        path.resolve(),
        mimetype="application/zip",
        as_attachment=True,
        download_name=certificate_bundles.zip_name(school),
    )


@bp.route("/staff-training/<int:user_id>")
@requires(Permission.VIEW_STAFF_TRAINING)
def person_training(user_id: int):
    school = current_school()
    person = person_in_school_or_404(school, user_id)
    dashboard = snapshots.for_school(catalogue(), school).dashboard
    row = next((row for row in dashboard.rows if row.user.id == user_id), None)
    return render_template(
        "leaders/person_training.html",
        school=school,
        person=person,
        row=row,
        modules=catalogue().modules,
    )


@bp.route("/assign", methods=["GET", "POST"])
@requires(Permission.ASSIGN_TRAINING)
def assign_training():
    school = current_school()
    form = AssignTrainingForm()
    people = staff_rows.school_people(school.id, date.today())
    form.modules.choices = [SelectChoice(m.id, m.title) for m in catalogue().modules.values()]
    form.person.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(str(user.id), user.name) for user, _ in people
    ]
    form.role.choices = [SelectChoice("", "Choose a role")] + [SelectChoice(r.value, r.label) for r in SCHOOL_ROLES]
    if request.method == "GET" and request.args.get("module") in catalogue().modules:
        form.modules.data = [request.args["module"]]
    if form.validate_on_submit():
        person_id = form.person.data if form.audience.data == "person" else None
        role = form.role.data if form.audience.data == "role" else None
        if form.audience.data == "person" and not (person_id or "").isdigit():
            form.person.errors.append("Choose the person")
        elif form.audience.data == "role" and role not in {r.value for r in SCHOOL_ROLES}:
            form.role.errors.append("Choose the role")
        else:
            try:
                result = assignments.assign_training(
                    catalogue=catalogue(),
                    school=school,
                    module_ids=form.modules.data,
                    user_id=int(person_id) if person_id else None,
                    role=role,
                    due_on=form.due_on.data,
                    note=form.note.data or None,
                    assigned_by=current_user,
                    once_key=form.once.data,
                )
            except assignments.AssignmentProblem as problem:
                db.session.rollback()
                getattr(form, problem.field if problem.field in form else "audience").errors.append(str(problem))
            else:
                db.session.commit()
                flash(
                    f"Training assigned to {result.people} {'person' if result.people == 1 else 'people'}. "
                    "They have been sent an email."
                )
                return redirect(url_for("leaders.staff_training"))
    return render_template("leaders/assign_training.html", school=school, form=form)


@bp.route("/requirements", methods=["GET", "POST"])
@requires(Permission.MANAGE_REQUIREMENTS)
def manage_requirements():
    school = current_school()
    form = RequirementForm()
    refresh_form = RefreshForm()
    module_choices = [SelectChoice("", "Choose a module")] + [
        SelectChoice(m.id, m.title) for m in catalogue().modules.values()
    ]
    form.role.choices = [SelectChoice("", "Choose a role")] + [SelectChoice(r.value, r.label) for r in SCHOOL_ROLES]
    form.module.choices = module_choices
    refresh_form.changed_module.choices = module_choices
    if form.save.data and form.validate_on_submit():
        try:
            requirements.change_requirement(
                catalogue=catalogue(),
                school_id=school.id,
                role=form.role.data,
                module_id=form.module.data,
                required=form.required.data == "yes",
                window_days=form.window_days.data,
                renew_every_months=form.renew_every_months.data,
                changed_by_id=current_user.id,
            )
        except requirements.RequirementProblem as problem:
            db.session.rollback()
            form.module.errors.append(str(problem))
        else:
            db.session.commit()
            flash("The requirement has been saved.")
            return redirect(url_for("leaders.manage_requirements"))
    elif refresh_form.refresh.data and refresh_form.validate_on_submit():
        try:
            requirements.require_refresh(
                catalogue=catalogue(),
                school_id=school.id,
                module_id=refresh_form.changed_module.data,
                changed_by_id=current_user.id,
            )
        except requirements.RequirementProblem as problem:
            db.session.rollback()
            refresh_form.changed_module.errors.append(str(problem))
        else:
            db.session.commit()
            flash("Everyone who must do that module has been asked to do it again.")
            return redirect(url_for("leaders.manage_requirements"))
    elif request.method == "POST" and not (form.save.data or refresh_form.refresh.data):
        abort(400)
    return render_template(
        "leaders/manage_requirements.html",
        school=school,
        form=form if form.errors or not refresh_form.errors else refresh_form,
        change_form=form,
        refresh_form=refresh_form,
        requirements=requirements.school_requirements(catalogue(), school.id),
        changes=requirements.requirement_changes(school.id),
        modules=catalogue().modules,
        role_labels={r.value: r.label for r in Role},
    )


@bp.route("/board-report")
@requires(Permission.VIEW_BOARD_REPORT)
def board_report():
    school = current_school()
    report = board_reports.build_board_report(catalogue(), school)
    return render_template("leaders/board_report.html", report=report, modules=catalogue().modules, printable=False)


@bp.route("/board-report.pdf")
@requires(Permission.VIEW_BOARD_REPORT)
def board_report_pdf():
    school = current_school()
    report = board_reports.build_board_report(catalogue(), school)
    pdf = render_pdf("leaders/board_report_pdf.html", report=report, modules=catalogue().modules, printable=True)
    filename = f"send-board-report-{school.urn}-{report.today.isoformat()}.pdf"
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.app_template_filter("month_point")
def month_point(point) -> tuple[str, int]:
    """(first day of a month, count) as a chart label and value."""
    month, count = point
    return month.strftime("%b %y"), count


@bp.app_template_filter("changes_text")
def changes_text(values: dict) -> str:
    """A requirement setting, as recorded in the change log, in words."""
    if values.get("default"):
        return "back to SEND Ready's pathway"
    parts = ["required" if values.get("required") else "not required"]
    if values.get("window_days"):
        parts.append(f"within {values['window_days']} days")
    if values.get("renew_every_months"):
        parts.append(f"renewed every {values['renew_every_months']} months")
    if values.get("refresh_required_since"):
        parts.append("everyone asked to do it again")
    return ", ".join(parts)
