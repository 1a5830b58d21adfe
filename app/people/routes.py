"""The school's people: the list, one person, and inviting someone."""

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.models import Role
from app.people import bp
from app.people.forms import InvitePersonForm
from app.permissions import Permission, current_school, requires
from app.services import accounts, people


@bp.route("/")
@requires(Permission.VIEW_PEOPLE)
def list_people():
    school = current_school()
    return render_template("people/list_people.html", school=school, people=people.people_in_school(school))


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
    return render_template("people/show_person.html", school=school, person=person, resend_form=FlaskForm())


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
