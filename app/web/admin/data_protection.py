"""The school's data protection pages: a person's data, erasure, the retention policy and the audit log."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.models import AuditAction
from app.people import erasure, staff, subject_access
from app.permissions import (
    Permission,
    current_school,
    requires,
)
from app.platform import audit
from app.web.admin import bp
from app.web.admin.forms import (
    AuditFilterForm,
    EraseForm,
    RetentionForm,
)


@bp.route("/<int:user_id>/download-data", methods=["POST"])
@requires(Permission.MANAGE_PERSONAL_DATA)
def download_person_data(user_id: int):
    school = current_school()
    person = staff.person_in_school_or_404(school, user_id)
    archive = subject_access.export_person(person.user, school=school)
    subject_access.record_export(person.user, actor=current_user, school=school)
    db.session.commit()
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{subject_access.export_filename(person.user)}"'},
    )


@bp.route("/<int:user_id>/erase", methods=["GET", "POST"])
@requires(Permission.MANAGE_PERSONAL_DATA)
def erase_person(user_id: int):
    school = current_school()
    person = staff.person_in_school_or_404(school, user_id)
    problem = erasure.erasure_problem(person.user, actor=current_user, today=date.today())
    form = EraseForm()
    if problem is None and form.validate_on_submit():
        erasure.erase_person(person.user, actor=current_user, school=school)
        db.session.commit()
        flash("Their name and email address are replaced by a pseudonym. Their training record is kept.")
        return redirect(url_for("people.list_leavers"))
    return render_template("people/erase_person.html", school=school, person=person, form=form, problem=problem)


@bp.route("/retention", methods=["GET", "POST"])
@requires(Permission.MANAGE_PERSONAL_DATA)
def change_retention():
    school = current_school()
    form = RetentionForm()
    if not form.is_submitted():
        form.erase_leavers_after_years.data = erasure.retention_years(school)
    if form.validate_on_submit():
        erasure.set_retention_years(school, form.erase_leavers_after_years.data, actor=current_user)
        db.session.commit()
        flash("The retention policy is saved.")
        return redirect(url_for("people.list_people"))
    return render_template("people/change_retention.html", school=school, form=form)


@bp.route("/audit")
@requires(Permission.VIEW_AUDIT_LOG)
def audit_log():
    school = current_school()
    form = _audit_filter_form()
    action, person = _audit_filters(form)
    rows = audit.audit_events(school, action=action, person=person)
    return render_template(
        "people/audit_log.html",
        school=school,
        filter_form=form,
        rows=rows,
        limit=audit.AUDIT_PAGE_SIZE,
        download_form=FlaskForm(),
        action=action or "",
        person=person or "",
    )


@bp.route("/audit/download", methods=["POST"])
@requires(Permission.VIEW_AUDIT_LOG)
def download_audit_log():
    if not FlaskForm().validate_on_submit():
        abort(400)
    school = current_school()
    action = request.form.get("action") or None
    if action not in {a.value for a in AuditAction}:
        action = None
    person = (request.form.get("person") or "")[:200] or None
    text = audit.audit_csv(school, action=action, person=person)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="send-ready-audit-log.csv"'},
    )


def _audit_filter_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", "Anything")] + [SelectChoice(a.value, a.label) for a in AuditAction]
    return form


def _audit_filters(form: AuditFilterForm) -> tuple[str | None, str | None]:
    if not form.validate():
        return None, None
    return form.action.data or None, form.person.data or None
