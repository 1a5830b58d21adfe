"""The school's staff file: upload, preview (row by row, with every problem named), apply once."""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.models import SCHOOL_ROLES
from app.people import staff_file, staff_import
from app.permissions import (
    Permission,
    current_school,
    requires,
)
from app.web.admin import bp
from app.web.admin.forms import (
    ApplyImportForm,
    StaffFileForm,
)


def _preview(school, plan, *, reference: str | None, filename: str):
    apply_form = ApplyImportForm(formdata=None, reference=reference) if plan.is_clean and plan.changes else None
    return render_template(
        "people/preview_staff_import.html",
        school=school,
        plan=plan,
        apply_form=apply_form,
        filename=filename,
        Outcome=staff_file.Outcome,
        rows_shown=staff_file.PROBLEMS_SHOWN * 5,
    )


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def import_staff():
    school = current_school()
    form = StaffFileForm()
    if form.validate_on_submit():
        upload = form.staff_file.data
        data = upload.read(staff_file.MAX_BYTES + 1)
        plan = staff_import.plan_import(school, data, by=current_user)
        reference = None
        if plan.is_clean and plan.changes:
            reference = staff_import.save_upload(school, filename=upload.filename, data=data, by=current_user).reference
            db.session.commit()
        return _preview(school, plan, reference=reference, filename=upload.filename or "the file")
    return render_template(
        "people/import_staff.html", school=school, form=form, template_form=FlaskForm(), roles=SCHOOL_ROLES
    )


@bp.route("/import/apply", methods=["POST"])
@requires(Permission.MANAGE_STAFF)
def apply_staff_import():
    school = current_school()
    form = ApplyImportForm()
    if not form.validate_on_submit():
        abort(400)
    upload = staff_import.staff_import_or_404(school, form.reference.data)
    if upload.applied_at is not None:
        flash("That file has already been imported.")
        return redirect(url_for("people.list_people"))
    data = upload.csv_text.encode("utf-8")
    # The school may have changed since the preview: plan again, and apply only a clean plan.
    plan = staff_import.plan_import(school, data, by=current_user)
    if not plan.is_clean:
        return _preview(school, plan, reference=None, filename=upload.filename)
    if not staff_import.claim(upload):
        db.session.rollback()
        flash("That file has already been imported.")
        return redirect(url_for("people.list_people"))
    result = staff_import.apply_plan(school, plan, by=current_user)
    db.session.commit()
    flash(f"Import finished: {result.describe()}.")
    return redirect(url_for("people.list_people"))


@bp.route("/import/template", methods=["POST"])
@requires(Permission.MANAGE_STAFF)
def download_import_template():
    return Response(
        staff_file.TEMPLATE_CSV,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="send-ready-staff-template.csv"'},
    )
