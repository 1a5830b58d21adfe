"""A person's invitations to join schools: they accept or decline, signed in as themselves."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.people import invitations_bp as bp
from app.permissions import requires
from app.services import invitations


@bp.route("/")
@requires()
def list_invitations():
    return render_template("invitations/list_invitations.html", pending=invitations.pending_for(current_user))


@bp.route("/<int:invitation_id>", methods=["GET", "POST"])
@requires()
def show_invitation(invitation_id: int):
    try:
        invitation = invitations.invitation_for(current_user, invitation_id)
    except invitations.NotYourInvitation:
        return render_template("invitations/not_your_invitation.html"), 404
    except invitations.InvitationGone as gone:
        return render_template("invitations/invitation_answered.html", message=str(gone))
    form = FlaskForm()
    if form.validate_on_submit():
        school = invitation.school
        answer = request.form.get("answer")
        if answer == "accept":
            invitations.accept(current_user, school.id)
            db.session.commit()
            flash(f"You have joined {school.name}. Choose it at the top of the page to work there.")
            return redirect(url_for("main.home"))
        if answer == "decline":
            invitations.decline(current_user, school.id)
            db.session.commit()
            flash(f"You declined the invitation from {school.name}. They see only that you declined.")
            return redirect(url_for("invitations.list_invitations"))
        form.form_errors.append("Choose accept or decline")
    return render_template("invitations/show_invitation.html", invitation=invitation, form=form)
