"""Your training calendar: the secret address of your due dates, made, made again, or turned off."""

from flask import redirect, render_template, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.learning import calendar_feed
from app.permissions import Permission, requires
from app.platform import public_url
from app.web.admin import account_bp as bp

# The new address waits in the (signed, the person's own) session cookie for the one page that shows it.
NEW_ADDRESS = "new_calendar_address"


@bp.route("/calendar", methods=["GET", "POST"])
@requires(Permission.TAKE_TRAINING)
def calendar():
    """GET shows the state (and a just-made address, once); POST makes a new address."""
    form = FlaskForm()
    if form.validate_on_submit():
        secret = calendar_feed.new_feed_secret(current_user)
        db.session.commit()
        session[NEW_ADDRESS] = public_url("learn.calendar_feed", secret=secret)
        return _redirect_to_page()
    return render_template(
        "people/calendar.html",
        form=form,
        new_address=session.pop(NEW_ADDRESS, None),
        has_feed=current_user.calendar_feed_hash is not None,
    )


@bp.route("/calendar/off", methods=["POST"])
@requires(Permission.TAKE_TRAINING)
def turn_off_calendar():
    form = FlaskForm()
    if form.validate_on_submit():
        calendar_feed.turn_off_feed(current_user)
        db.session.commit()
        session.pop(NEW_ADDRESS, None)
    return _redirect_to_page()


def _redirect_to_page():
    return redirect(url_for("account.calendar"))
