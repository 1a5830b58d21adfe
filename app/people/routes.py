"""The school's people: the list, one person, inviting, roles, leavers, governors, importing a staff
file, and the school's data protection pages (a person's data, erasure, retention, the audit log)."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.content import catalogue
from app.extensions import db
from app.models import SCHOOL_ROLES, AuditAction, Role
from app.people import bp
from app.people.forms import (
    KNOWN_CHOICES,
    ApplyImportForm,
    AuditFilterForm,
    ChangeRolesForm,
    EraseForm,
    GovernanceForm,
    InvitePersonForm,
    LeaverForm,
    QualifiedTeacherForm,
    RejoinForm,
    RetentionForm,
    StaffFileForm,
    StartDateForm,
    known_value,
)
from app.permissions import Permission, current_school, requires
from app.services import accounts, data_protection, people, staff_import


@bp.route("/")
@requires(Permission.VIEW_PEOPLE)
def list_people():
    school = current_school()
    return render_template("people/list_people.html", school=school, people=people.staff_list(school))


@bp.route("/invite", methods=["GET", "POST"])
@requires(Permission.INVITE_PEOPLE)
def invite_person():
    school = current_school()
    form = InvitePersonForm()
    if not form.is_submitted():
        form.started_on.data = date.today()
    if form.validate_on_submit():
        try:
            accounts.invite_person(
                school=school,
                email_address=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                started_on=form.started_on.data,
                invited_by=current_user,
            )
        except accounts.AlreadyMember as problem:
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(problem)]
        else:
            db.session.commit()
            flash(f"Invitation sent to {form.email.data.strip().lower()}.")
            return redirect(url_for("people.list_people"))
    return render_template("people/invite_person.html", school=school, form=form)


@bp.route("/<int:user_id>")
@requires(Permission.VIEW_PEOPLE)
def show_person(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    return render_template(
        "people/show_person.html",
        school=school,
        person=person,
        resend_form=FlaskForm(),
        still_here=bool(people.open_memberships(person, date.today())),
        left_on=people.left_on(person),
        governor=people.governor_membership(person),
        is_senco=people.holds_role(person, Role.SENCO),
    )


@bp.route("/<int:user_id>/resend-invitation", methods=["POST"])
@requires(Permission.INVITE_PEOPLE)
def resend_invitation(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    if person.user.has_password or not FlaskForm().validate_on_submit():
        abort(400)
    accounts.send_invitation(person.user, school=school, role=person.roles[0], inviter=current_user)
    db.session.commit()
    flash(f"A new invitation was sent to {person.user.email}. The earlier link no longer works.")
    return redirect(url_for("people.show_person", user_id=user_id))


# ---- keeping the staff list ---------------------------------------------------------------------


def _refused(field, problem: Exception) -> None:
    db.session.rollback()
    field.errors = [*field.errors, str(problem)]


@bp.route("/<int:user_id>/roles", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def change_roles(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    held = [m.role.value for m in people.open_memberships(person, date.today())]
    form = ChangeRolesForm()
    if not form.is_submitted():
        form.roles.data = held
        form.started_on.data = date.today()
    if form.validate_on_submit():
        try:
            added, ended = people.change_roles(
                school=school,
                person=person,
                roles={Role(value) for value in form.roles.data},
                started_on=form.started_on.data,
                by=current_user,
            )
        except people.StaffChangeRefused as problem:
            _refused(form.roles, problem)
        else:
            db.session.commit()
            flash(f"{person.user.name}'s roles are saved." if added or ended else "Nothing changed.")
            return redirect(url_for("people.show_person", user_id=user_id))
    return render_template("people/change_roles.html", school=school, person=person, form=form)


@bp.route("/<int:user_id>/start-date", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def change_start_date(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    form = StartDateForm()
    current = people.open_memberships(person, date.today())
    if not form.is_submitted() and current:
        form.started_on.data = min(m.started_on for m in current)
    if current and form.validate_on_submit():
        try:
            people.change_start_date(school=school, person=person, started_on=form.started_on.data, by=current_user)
        except people.StaffChangeRefused as problem:
            _refused(form.started_on, problem)
        else:
            db.session.commit()
            flash(f"{person.user.name}'s start date is saved.")
            return redirect(url_for("people.show_person", user_id=user_id))
    return render_template("people/change_start_date.html", school=school, person=person, form=form, current=current)


@bp.route("/<int:user_id>/qualified-teacher", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def change_qualified_teacher(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    is_senco = people.holds_role(person, Role.SENCO)
    form = QualifiedTeacherForm()
    if not is_senco:
        # Earlier time as a SENCO matters only for a SENCO: nobody else is asked.
        del form.senco_over_12_months_before
    if not form.is_submitted():
        form.qualified_teacher.data = "yes" if person.user.qualified_teacher else "no"
        form.induction_completed.data = known_value(person.user.induction_completed)
        if is_senco:
            form.senco_over_12_months_before.data = known_value(person.user.senco_over_12_months_before)
    if form.validate_on_submit():
        people.set_teacher_status(
            school=school,
            person=person,
            qualified=form.qualified_teacher.data == "yes",
            induction_completed=KNOWN_CHOICES[form.induction_completed.data],
            senco_over_12_months_before=(
                KNOWN_CHOICES[form.senco_over_12_months_before.data]
                if is_senco
                else person.user.senco_over_12_months_before
            ),
            by=current_user,
        )
        db.session.commit()
        flash(f"{person.user.name}'s qualified teacher status and induction are saved.")
        return redirect(url_for("people.show_person", user_id=user_id))
    return render_template(
        "people/change_qualified_teacher.html", school=school, person=person, form=form, is_senco=is_senco
    )


@bp.route("/<int:user_id>/leaver", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def mark_leaver(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    current = people.open_memberships(person, date.today())
    form = LeaverForm()
    if not form.is_submitted():
        form.left_on.data = date.today()
    if current and form.validate_on_submit():
        try:
            people.mark_leaver(school=school, person=person, left_on=form.left_on.data, by=current_user)
        except people.StaffChangeRefused as problem:
            _refused(form.left_on, problem)
        else:
            db.session.commit()
            flash(f"{person.user.name} is marked as a leaver. Their records are kept.")
            return redirect(url_for("people.list_leavers"))
    return render_template("people/mark_leaver.html", school=school, person=person, form=form, current=current)


@bp.route("/<int:user_id>/rejoin", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def rejoin(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    still_here = bool(people.open_memberships(person, date.today()))
    form = RejoinForm()
    if not form.is_submitted():
        form.started_on.data = date.today()
    if not still_here and form.validate_on_submit():
        try:
            people.rejoin(
                school=school,
                person=person,
                role=Role(form.role.data),
                started_on=form.started_on.data,
                by=current_user,
            )
        except people.StaffChangeRefused as problem:
            _refused(form.role, problem)
        else:
            db.session.commit()
            flash(f"{person.user.name} is back at {school.name}. We have emailed them.")
            return redirect(url_for("people.show_person", user_id=user_id))
    return render_template("people/rejoin.html", school=school, person=person, form=form, still_here=still_here)


@bp.route("/leavers")
@requires(Permission.VIEW_PEOPLE)
def list_leavers():
    school = current_school()
    leavers = [(person, people.left_on(person)) for person in people.leavers_of_school(school)]
    return render_template("people/list_leavers.html", school=school, leavers=leavers)


# ---- governors ----------------------------------------------------------------------------------


@bp.route("/governors")
@requires(Permission.VIEW_PEOPLE)
def list_governors():
    school = current_school()
    board = people.board_of(school, catalogue())
    return render_template(
        "people/list_governors.html", school=school, board=board, warning_days=people.TERM_WARNING_DAYS
    )


@bp.route("/<int:user_id>/governance", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def change_governance(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    membership = people.governor_membership(person)
    form = GovernanceForm()
    if not form.is_submitted() and membership is not None:
        form.term_started_on.data = membership.term_started_on
        form.term_ends_on.data = membership.term_ends_on
        form.offices.data = [
            office
            for office, held in (("chair", membership.is_chair), ("send_governor", Role.SEND_GOVERNOR in person.roles))
            if held
        ]
    if membership is not None and form.validate_on_submit():
        offices = set(form.offices.data or [])
        try:
            people.update_governance(
                school=school,
                person=person,
                term_started_on=form.term_started_on.data,
                term_ends_on=form.term_ends_on.data,
                is_chair="chair" in offices,
                send_governor="send_governor" in offices,
                by=current_user,
            )
        except people.StaffChangeRefused as problem:
            _refused(form.term_ends_on, problem)
        else:
            db.session.commit()
            flash(f"{person.user.name}'s governor details are saved.")
            return redirect(url_for("people.list_governors"))
    return render_template(
        "people/change_governance.html", school=school, person=person, form=form, membership=membership
    )


# ---- importing staff from a file ----------------------------------------------------------------


def _preview(school, plan, *, reference: str | None, filename: str):
    apply_form = ApplyImportForm(formdata=None, reference=reference) if plan.is_clean and plan.changes else None
    return render_template(
        "people/preview_staff_import.html",
        school=school,
        plan=plan,
        apply_form=apply_form,
        filename=filename,
        Outcome=staff_import.Outcome,
        rows_shown=staff_import.PROBLEMS_SHOWN * 5,
    )


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def import_staff():
    school = current_school()
    form = StaffFileForm()
    if form.validate_on_submit():
        upload = form.staff_file.data
        data = upload.read(staff_import.MAX_BYTES + 1)
        plan = staff_import.plan_import(school, data)
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
    plan = staff_import.plan_import(school, data)
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
        staff_import.TEMPLATE_CSV,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="send-ready-staff-template.csv"'},
    )


# ---- data protection ----------------------------------------------------------------------------


@bp.route("/<int:user_id>/download-data", methods=["POST"])
@requires(Permission.MANAGE_PERSONAL_DATA)
def download_person_data(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    archive = data_protection.export_person(person.user, school=school)
    data_protection.record_export(person.user, actor=current_user, school=school)
    db.session.commit()
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{data_protection.export_filename(person.user)}"'},
    )


@bp.route("/<int:user_id>/erase", methods=["GET", "POST"])
@requires(Permission.MANAGE_PERSONAL_DATA)
def erase_person(user_id: int):
    school = current_school()
    person = people.person_in_school_or_404(school, user_id)
    problem = data_protection.erasure_problem(person.user, actor=current_user, today=date.today())
    form = EraseForm()
    if problem is None and form.validate_on_submit():
        data_protection.erase_person(person.user, actor=current_user, school=school)
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
        form.erase_leavers_after_years.data = data_protection.retention_years(school)
    if form.validate_on_submit():
        data_protection.set_retention_years(school, form.erase_leavers_after_years.data, actor=current_user)
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
    rows = data_protection.audit_events(school, action=action, person=person)
    return render_template(
        "people/audit_log.html",
        school=school,
        filter_form=form,
        rows=rows,
        limit=data_protection.AUDIT_PAGE_SIZE,
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
    text = data_protection.audit_csv(school, action=action, person=person)
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
