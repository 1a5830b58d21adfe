"""A school's policies: publishing them and their versions, and staff reading and acknowledging them."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.extensions import db
from app.permissions import Permission, current_context, current_school, requires
from app.school_content import policies as school_policies
from app.school_content.markdown import render_school_markdown
from app.school_content.models import SchoolPolicy
from app.web.school_content import bp
from app.web.school_content.forms import AcknowledgeForm, PolicyForm, PolicyVersionForm


def _policy_or_404(policy_id: int) -> SchoolPolicy:
    policy = school_policies.policy_at(current_school().id, policy_id)
    if policy is None:
        abort(404)
    return policy


def _content_from(form) -> school_policies.PolicyContent | None:
    """The PDF or the text the form carries, or None with the form marked with what is wrong."""
    upload = form.file.data
    has_file = upload is not None and getattr(upload, "filename", "")
    text = (form.text.data or "").strip()
    try:
        if has_file and text:
            form.file.errors.append("Choose a PDF or write the text, not both")
            return None
        if has_file:
            return school_policies.read_pdf_upload(upload.stream, upload.filename)
        return school_policies.markdown_content(text)
    except school_policies.PolicyRefused as refused:
        (form.file if has_file else form.text).errors.append(str(refused))
        return None


@bp.app_template_global("policies_to_read")
def policies_to_read() -> list[school_policies.PolicyToRead]:
    """The policies the signed-in person must read at the school they are working in (for home)."""
    context = current_context()
    if context is None or context.school is None:
        return []
    return school_policies.policies_for_person(current_user.id, context.school.id, context.roles)


@bp.app_template_global("policy_acknowledgements")
def policy_acknowledgements(school_id: int) -> list[school_policies.PolicyAcknowledgements]:
    """Who must read each of the school's policies and who has acknowledged its current version."""
    return school_policies.acknowledgements(school_id)


@bp.route("/policies")
@requires(Permission.WRITE_SCHOOL_CONTENT)
def list_policies():
    school = current_school()
    return render_template(
        "school_content/list_policies.html", acknowledgements=school_policies.acknowledgements(school.id)
    )


@bp.route("/policies/new", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def new_policy():
    form = PolicyForm()
    if form.validate_on_submit():
        content = _content_from(form)
        if content is not None:
            policy = school_policies.create(
                school_id=current_school().id,
                created_by_id=current_user.id,
                title=form.title.data,
                roles=form.roles.data,
                read_by=form.read_by.data,
            )
            school_policies.publish_version(policy, content, current_user.id)
            db.session.commit()
            flash(f"{policy.title} is published. Everyone who must read it will see it on their home page.")
            return redirect(url_for("school_content.show_policy", policy_id=policy.id))
    return render_template("school_content/new_policy.html", form=form)


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@requires(Permission.WRITE_SCHOOL_CONTENT)
def show_policy(policy_id: int):
    """The policy, who has acknowledged its current version, and publishing a new version."""
    policy = _policy_or_404(policy_id)
    form = PolicyVersionForm()
    if form.validate_on_submit():
        content = _content_from(form)
        if content is not None:
            before = policy.current_version
            version = school_policies.publish_version(policy, content, current_user.id)
            db.session.commit()
            if version is before:
                flash("That is the same as the current version, so nothing has changed.")
            else:
                flash(f"Version {version.number} is published. Everyone who must read it is asked again.")
            return redirect(url_for("school_content.show_policy", policy_id=policy.id))
    status = next(
        (item for item in school_policies.acknowledgements(policy.school_id) if item.policy.id == policy.id), None
    )
    return render_template("school_content/show_policy.html", policy=policy, status=status, form=form)


@bp.route("/policies/<int:policy_id>/read", methods=["GET", "POST"])
@requires()
def read_policy(policy_id: int):
    """Read the current version and acknowledge it: once on the ledger per person and version."""
    policy = _policy_or_404(policy_id)
    version = policy.current_version
    if version is None:
        abort(404)
    form = AcknowledgeForm()
    if form.validate_on_submit():
        school_policies.acknowledge(user_id=current_user.id, policy=policy, version=version)
        db.session.commit()
        flash(f"Thank you. Your record shows that you read {policy.title} (version {version.number}).")
        return redirect(url_for("main.home"))
    mine = [item for item in policies_to_read() if item.policy.id == policy.id]
    return render_template(
        "school_content/read_policy.html",
        policy=policy,
        version=version,
        html=render_school_markdown(version.markdown) if version.markdown else None,
        acknowledged=bool(mine and mine[0].acknowledged),
        form=form,
        statement=school_policies.STATEMENT.format(title=policy.title),
    )


@bp.route("/policies/<int:policy_id>/file")
@requires()
def policy_file(policy_id: int):
    """The current version exactly as published, the bytes its hash was taken of: the PDF, or the text."""
    policy = _policy_or_404(policy_id)
    version = policy.current_version
    if version is None:
        abort(404)
    if version.is_pdf:
        data = school_policies.policy_file(version)
        if data is None:
            abort(404)
        response = Response(data, mimetype="application/pdf")
        disposition = f'inline; filename="policy-{policy.id}-version-{version.number}.pdf"'
    else:
        response = Response(version.markdown, mimetype="text/plain")
        disposition = f'attachment; filename="policy-{policy.id}-version-{version.number}.md"'
    response.headers["Content-Disposition"] = disposition
    # Should the file carry anything active, it runs nothing and reaches nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
