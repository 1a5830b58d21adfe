"""Your account: two-step sign-in (set up, new recovery codes, turn off), the Microsoft or Google accounts
that sign you in, and downloading your own data."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db, limiter
from app.people import sign_in_links, subject_access, two_step
from app.permissions import Permission, current_context, requires
from app.records import sharing
from app.web.admin import account_bp as bp
from app.web.admin.forms import NewRecoveryCodesForm, TurnOffTwoStepForm
from app.web.auth.two_step import CODE_FAILED, PER_ACCOUNT_SCOPE, SetUpForm, person_key

# The reference to the key being set up (two_step.set_up_secret), kept in the session until the
# person proves their app has the key; the readable session cookie never holds the key itself.
PENDING_SET_UP = "two_step_set_up_reference"


# A current code proves these changes, so its guesses count with those made while signing in.
limit_code_attempts = limiter.shared_limit(
    lambda: current_app.config["TWO_STEP_RATE_LIMIT"],
    PER_ACCOUNT_SCOPE,
    methods=["POST"],
    key_func=lambda: person_key(current_user.id if current_user.is_authenticated else None),
)


def _keeps_a_record() -> bool:
    context = current_context()
    return context is not None and context.can(Permission.TAKE_TRAINING)


def _account_page(*, codes_form=None, off_form=None, status: int = 200):
    user = current_user
    codes_form = codes_form or NewRecoveryCodesForm(formdata=None)
    off_form = off_form or TurnOffTwoStepForm(formdata=None)
    failed = codes_form if codes_form.errors else off_form if off_form.errors else None
    return (
        render_template(
            "people/your_account.html",
            user=user,
            required=two_step.required_for(user),
            codes_left=two_step.recovery_codes_left(user) if user.has_two_step else 0,
            codes_form=codes_form,
            off_form=off_form,
            form=failed,
            download_form=FlaskForm(),
            sharing=sharing.sharing_of(user) if _keeps_a_record() else [],
            keeps_a_record=_keeps_a_record(),
            linked_accounts=sign_in_links.linked_accounts(user),
            signed_in_with=session.get("signed_in_with", "password"),
            second_step_by=session.get("second_step"),
        ),
        status,
    )


@bp.route("/")
@requires()
def your_account():
    return _account_page()


@bp.route("/two-step-sign-in", methods=["GET", "POST"])
@requires()
def set_up_two_step():
    if current_user.has_two_step:
        return render_template("people/two_step_already_on.html")
    # The same key until it is proved, so that reloading the page does not undo a scan.
    reference = session.get(PENDING_SET_UP) or two_step.new_set_up_reference()
    session[PENDING_SET_UP] = reference
    secret = two_step.set_up_secret(current_user, reference)
    form = SetUpForm()
    if form.validate_on_submit():
        codes = two_step.set_up(current_user, secret, form.code.data)
        if codes is not None:
            db.session.commit()
            session.pop(PENDING_SET_UP, None)
            return render_template(
                "auth/recovery_codes.html", codes=codes, continue_url=url_for("account.your_account"), first_time=True
            )
        db.session.rollback()
        form.code.errors = [CODE_FAILED]
    return render_template(
        "auth/set_up_two_step.html",
        form=form,
        action=url_for("account.set_up_two_step"),
        secret=two_step.readable_secret(secret),
        qr_code=two_step.qr_code_data_uri(secret, current_user),
        during_sign_in=False,
    )


@bp.route("/two-step-sign-in/recovery-codes", methods=["POST"])
@limit_code_attempts
@requires()
def replace_recovery_codes():
    if not current_user.has_two_step:
        return redirect(url_for("account.your_account"))
    form = NewRecoveryCodesForm()
    if form.validate_on_submit():
        codes = two_step.new_recovery_codes(current_user, form.code_for_new_codes.data)
        if codes is not None:
            db.session.commit()
            return render_template(
                "auth/recovery_codes.html", codes=codes, continue_url=url_for("account.your_account"), first_time=False
            )
        db.session.rollback()
        form.code_for_new_codes.errors = [CODE_FAILED]
    return _account_page(codes_form=form)


@bp.route("/two-step-sign-in/turn-off", methods=["POST"])
@limit_code_attempts
@requires()
def turn_off_two_step():
    if not current_user.has_two_step:
        return redirect(url_for("account.your_account"))
    form = TurnOffTwoStepForm()
    if form.validate_on_submit():
        try:
            turned_off = two_step.turn_off(current_user, form.code_to_turn_off.data)
        except two_step.TwoStepRequired as refused:
            db.session.rollback()
            form.code_to_turn_off.errors = [str(refused)]
        else:
            if turned_off:
                db.session.commit()
                flash("Two-step sign-in is off. You now sign in with your password alone.")
                return redirect(url_for("account.your_account"))
            db.session.rollback()
            form.code_to_turn_off.errors = [CODE_FAILED]
    return _account_page(off_form=form)


@bp.route("/your-data", methods=["POST"])
@requires()
def download_your_data():
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("account.your_account"))
    archive = subject_access.export_person(current_user)
    subject_access.record_export(current_user, actor=current_user, school=None)
    db.session.commit()
    return Response(
        archive,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{subject_access.export_filename(current_user)}"'},
    )


@bp.route("/sharing/<int:school_id>", methods=["POST"])
@requires(Permission.TAKE_TRAINING)
def change_sharing(school_id: int):
    """Share (or stop sharing) one's CPD record from other schools with one of one's schools."""
    school = sharing.school_of_person_or_404(current_user, school_id)
    answer = request.form.get("share")
    if not FlaskForm().validate_on_submit() or answer not in ("yes", "no"):
        abort(400)
    share = answer == "yes"
    changed = sharing.set_sharing(current_user, school.id, share)
    db.session.commit()
    if changed:
        flash("Your CPD record from other schools is shared." if share else "You have stopped sharing it.")
    return redirect(url_for("account.your_account", _anchor="sharing"))


@bp.route("/sign-in-accounts/<int:identity_id>/remove", methods=["POST"])
@requires()
def remove_sign_in_account(identity_id: int):
    """Unlink a Microsoft or Google account: it stops signing the person in (another person's is 'not found')."""
    identity = sign_in_links.own_link_or_none(current_user, identity_id)
    if identity is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    label = identity.provider.label
    sign_in_links.remove_link(current_user, identity)
    db.session.commit()
    flash(f"Your {label} account no longer signs you in to SEND Ready. The account itself is unchanged.")
    return redirect(url_for("account.your_account", _anchor="sign-in-accounts"))
