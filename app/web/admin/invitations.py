"""A person's invitations to join schools: they accept or decline, signed in as themselves."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.people import joining
from app.permissions import requires
from app.web.admin import invitations_bp as bp


@bp.route("/")
@requires()
def list_invitations():
    return render_template("invitations/list_invitations.html", pending=joining.pending_for(current_user))


@bp.route("/<int:invitation_id>", methods=["GET", "POST"])
@requires()
def show_invitation(invitation_id: int):
    try:
        invitation = joining.invitation_for(current_user, invitation_id)
    except joining.NotYourInvitation:
        return render_template("invitations/not_your_invitation.html"), 404
    except joining.InvitationGone as gone:
        return render_template("invitations/invitation_answered.html", message=str(gone))
    form = FlaskForm()
    if form.validate_on_submit():
        school = invitation.school
        answer = request.form.get("answer")
        if answer == "accept":
            joining.accept(current_user, school.id)
            db.session.commit()
            flash(f"You have joined {school.name}. Choose it at the top of the page to work there.")
            return redirect(url_for("main.home"))
        if answer == "decline":
            joining.decline(current_user, school.id)
            db.session.commit()
            flash(f"You declined the invitation from {school.name}. They see only that you declined.")
            return redirect(url_for("invitations.list_invitations"))
        form.form_errors.append("Choose accept or decline")
    return render_template("invitations/show_invitation.html", invitation=invitation, form=form)
