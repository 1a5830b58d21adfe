"""The school's people: the list, one person, inviting, roles, leavers and governors."""

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.models import SCHOOL_ROLES, Role
from app.people import accounts, governors, invitations, staff
from app.permissions import (
    Permission,
    RoleGrantRefused,
    current_school,
    grantable_roles,
    requires,
    roles_at_school,
)
from app.web.admin import bp
from app.web.admin.forms import (
    KNOWN_CHOICES,
    ChangeRolesForm,
    GovernanceForm,
    InvitePersonForm,
    LeaverForm,
    QualifiedTeacherForm,
    RejoinForm,
    StartDateForm,
    known_value,
)
from app.web.catalogue import catalogue


@bp.route("/")
@requires(Permission.VIEW_PEOPLE)
def list_people():
    school = current_school()
    return render_template(
        "people/list_people.html",
        school=school,
        people=staff.staff_list(school),
        waiting=invitations.waiting_at(school),
    )


def _grantable_choices(school) -> list[SelectChoice]:
    grantable = grantable_roles(roles_at_school(current_user, school.id))
    return [SelectChoice(role.value, role.label) for role in SCHOOL_ROLES if role in grantable]


@bp.route("/invite", methods=["GET", "POST"])
@requires(Permission.INVITE_PEOPLE)
def invite_person():
    school = current_school()
    form = InvitePersonForm()
    form.role.choices = _grantable_choices(school)
    if not form.is_submitted():
        form.started_on.data = date.today()
    if form.validate_on_submit():
        address = accounts.normalise_email(form.email.data)
        try:
            outcome = invitations.invite(
                school=school,
                email_address=address,
                name=form.name.data,
                role=Role(form.role.data),
                started_on=form.started_on.data,
                invited_by=current_user,
            )
        except (accounts.AlreadyMember, invitations.AlreadyInvited, RoleGrantRefused) as problem:
            db.session.rollback()
            field = form.role if isinstance(problem, RoleGrantRefused) else form.email
            field.errors = [*field.errors, str(problem)]
        else:
            db.session.commit()
            if outcome is invitations.Invited.ROLE_ADDED:
                flash(f"They already work here: the role is added and we have emailed {address}.")
            else:
                flash(f"Invitation sent to {address}. They join {school.name} when they accept it.")
            return redirect(url_for("people.list_people"))
    return render_template("people/invite_person.html", school=school, form=form)


@bp.route("/invitations/<int:school_invitation_id>/resend", methods=["POST"])
@requires(Permission.INVITE_PEOPLE)
def resend_pending_invitation(school_invitation_id: int):
    school = current_school()
    invitation = invitations.school_invitation_or_404(school, school_invitation_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    invitations.resend(school, invitation, by=current_user)
    db.session.commit()
    flash(f"The invitation was sent again to {invitation.user.email}.")
    return redirect(url_for("people.list_people"))


@bp.route("/invitations/<int:school_invitation_id>/withdraw", methods=["POST"])
@requires(Permission.INVITE_PEOPLE)
def withdraw_invitation(school_invitation_id: int):
    school = current_school()
    invitation = invitations.school_invitation_or_404(school, school_invitation_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    address = invitation.user.email
    withdrawn = invitations.withdraw(school, invitation, by=current_user)
    db.session.commit()
    flash(f"The invitation to {address} is withdrawn." if withdrawn else "They had already answered.")
    return redirect(url_for("people.list_people"))


@bp.route("/<int:user_id>")
@requires(Permission.VIEW_PEOPLE)
def show_person(user_id: int):
    school = current_school()
    person = staff.person_in_school_or_404(school, user_id)
    return render_template(
        "people/show_person.html",
        school=school,
        person=person,
        resend_form=FlaskForm(),
        still_here=bool(staff.open_memberships(person, date.today())),
        left_on=staff.left_on(person),
        governor=governors.governor_membership(person),
        teacher_status=staff.teacher_status(school, person),
        is_senco=staff.holds_role(person, Role.SENCO),
    )


@bp.route("/<int:user_id>/resend-invitation", methods=["POST"])
@requires(Permission.INVITE_PEOPLE)
def resend_invitation(user_id: int):
    school = current_school()
    person = staff.person_in_school_or_404(school, user_id)
    if person.user.has_password or not FlaskForm().validate_on_submit():
        abort(400)
    invitations.send_password_link(person.user, school=school, role=person.roles[0], inviter=current_user)
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
    person = staff.person_in_school_or_404(school, user_id)
    held = [m.role.value for m in staff.open_memberships(person, date.today())]
    form = ChangeRolesForm()
    if not form.is_submitted():
        form.roles.data = held
        form.started_on.data = date.today()
    if form.validate_on_submit():
        try:
            added, ended = staff.change_roles(
                school=school,
                person=person,
                roles={Role(value) for value in form.roles.data},
                started_on=form.started_on.data,
                by=current_user,
            )
        except staff.StaffChangeRefused as problem:
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
    person = staff.person_in_school_or_404(school, user_id)
    form = StartDateForm()
    current = staff.open_memberships(person, date.today())
    if not form.is_submitted() and current:
        form.started_on.data = min(m.started_on for m in current)
    if current and form.validate_on_submit():
        try:
            staff.change_start_date(school=school, person=person, started_on=form.started_on.data, by=current_user)
        except staff.StaffChangeRefused as problem:
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
    person = staff.person_in_school_or_404(school, user_id)
    is_senco = staff.holds_role(person, Role.SENCO)
    recorded = staff.teacher_status(school, person)
    form = QualifiedTeacherForm()
    if not is_senco:
        # Earlier time as a SENCO matters only for a SENCO: nobody else is asked.
        del form.senco_over_12_months_before
    if not form.is_submitted():
        form.qualified_teacher.data = "yes" if recorded and recorded.qualified else "no"
        form.induction_completed.data = known_value(recorded.induction_completed if recorded else None)
        if is_senco:
            form.senco_over_12_months_before.data = known_value(
                recorded.senco_over_12_months_before if recorded else None
            )
    if form.validate_on_submit():
        staff.set_teacher_status(
            school=school,
            person=person,
            qualified=form.qualified_teacher.data == "yes",
            induction_completed=KNOWN_CHOICES[form.induction_completed.data],
            senco_over_12_months_before=(
                KNOWN_CHOICES[form.senco_over_12_months_before.data]
                if is_senco
                else (recorded.senco_over_12_months_before if recorded else None)
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
    person = staff.person_in_school_or_404(school, user_id)
    current = staff.open_memberships(person, date.today())
    form = LeaverForm()
    if not form.is_submitted():
        form.left_on.data = date.today()
    if current and form.validate_on_submit():
        try:
            staff.mark_leaver(school=school, person=person, left_on=form.left_on.data, by=current_user)
        except staff.StaffChangeRefused as problem:
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
    person = staff.person_in_school_or_404(school, user_id)
    still_here = bool(staff.open_memberships(person, date.today()))
    form = RejoinForm()
    form.role.choices = _grantable_choices(school)
    if not form.is_submitted():
        form.started_on.data = date.today()
    if not still_here and form.validate_on_submit():
        try:
            outcome = staff.rejoin(
                school=school,
                person=person,
                role=Role(form.role.data),
                started_on=form.started_on.data,
                by=current_user,
            )
        except staff.StaffChangeRefused as problem:
            _refused(form.role, problem)
        else:
            db.session.commit()
            if outcome is invitations.Invited.ROLE_ADDED:
                flash(f"{person.user.name} is back at {school.name}. We have emailed them.")
            else:
                flash(f"We have invited {person.user.name} back. They rejoin {school.name} when they accept.")
            return redirect(url_for("people.show_person", user_id=user_id))
    return render_template("people/rejoin.html", school=school, person=person, form=form, still_here=still_here)


@bp.route("/leavers")
@requires(Permission.VIEW_PEOPLE)
def list_leavers():
    school = current_school()
    leavers = [(person, staff.left_on(person)) for person in staff.leavers_of_school(school)]
    return render_template("people/list_leavers.html", school=school, leavers=leavers)


# ---- governors ----------------------------------------------------------------------------------


@bp.route("/governors")
@requires(Permission.VIEW_PEOPLE)
def list_governors():
    school = current_school()
    board = governors.board_of(school, catalogue())
    return render_template(
        "people/list_governors.html", school=school, board=board, warning_days=governors.TERM_WARNING_DAYS
    )


@bp.route("/<int:user_id>/governance", methods=["GET", "POST"])
@requires(Permission.MANAGE_STAFF)
def change_governance(user_id: int):
    school = current_school()
    person = staff.person_in_school_or_404(school, user_id)
    membership = governors.governor_membership(person)
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
            governors.update_governance(
                school=school,
                person=person,
                term_started_on=form.term_started_on.data,
                term_ends_on=form.term_ends_on.data,
                is_chair="chair" in offices,
                send_governor="send_governor" in offices,
                by=current_user,
            )
        except staff.StaffChangeRefused as problem:
            _refused(form.term_ends_on, problem)
        else:
            db.session.commit()
            flash(f"{person.user.name}'s governor details are saved.")
            return redirect(url_for("people.list_governors"))
    return render_template(
        "people/change_governance.html", school=school, person=person, form=form, membership=membership
    )
