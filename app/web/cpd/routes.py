"""The CPD record: your own (add, correct, export, certificates), your staff's (read, verify, void),
and the public page that checks a certificate's code."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app import learning
from app.content import catalogue
from app.extensions import db
from app.models import EVIDENCE_MAX_BYTES, EvidenceFile, Role, User
from app.permissions import Permission, current_context, current_school, public, requires
from app.platform import KeysNotConfigured, badges_enabled
from app.platform.links import public_url
from app.records import certificates, evidence_files, exports, external_cpd, reading, school_view, terms, writing
from app.records.cpd import CpdRecord
from app.records.ledger import EntryKind
from app.records.terms import ReviewDecision
from app.web.cpd import bp, certificates_bp
from app.web.cpd.forms import CheckBadgeForm, CorrectExternalCpdForm, ExternalCpdForm, ReviewForm, VoidCertificateForm

MODULE_KINDS = (EntryKind.MODULE_COMPLETED.value,)
# The forms that take an evidence file accept a request this big: the file and room for the rest.
UPLOAD_ENDPOINTS = frozenset({"cpd.add_external_cpd", "cpd.correct_external_cpd"})
UPLOAD_REQUEST_LIMIT = EVIDENCE_MAX_BYTES + 256 * 1024


@bp.url_value_preprocessor
def limit_upload_size(endpoint, values):
    # URL value preprocessors run before every before_request function, so before the CSRF check
    # reads the body: a request far bigger than any evidence file is refused without being read.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_REQUEST_LIMIT


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    # The body was refused unread, so the forms on the page (the header's sign-out form) must not read it.
    request.form = request.parameter_storage_class()
    request.files = request.parameter_storage_class()
    return render_template("cpd/upload_too_large.html", back_url=request.path), 413


def _school_id() -> int | None:
    context = current_context()
    return context.school.id if context and context.school else None


def _record_of(user: User) -> CpdRecord:
    year, kind = reading.filters_from(request.args)
    return reading.build_record(user, catalogue=catalogue(), year=year, kind=kind)


def _school_record_of(person: User, school) -> CpdRecord:
    year, kind = reading.filters_from(request.args)
    return school_view.record_for_school(person, school, catalogue=catalogue(), year=year, kind=kind)


def _can_review() -> bool:
    context = current_context()
    return bool(context and context.can(Permission.REVIEW_CPD_RECORDS))


def _attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _evidence_response(evidence: EvidenceFile, data: bytes, entry_sequence: int) -> Response:
    response = _attachment(
        data, evidence.media_type.value, f"evidence-entry-{entry_sequence}.{evidence.media_type.extension}"
    )
    # Should a browser show it anyway, it runs nothing and reaches nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _year_suffix(record: CpdRecord) -> str:
    return f"-{record.year}-to-{record.year + 1}" if record.year is not None else ""


# ---- your own record ------------------------------------------------------------------------------


@bp.route("/")
@requires(Permission.TAKE_TRAINING)
def your_record():
    record = _record_of(current_user)
    context = current_context()
    return render_template(
        "cpd/your_record.html",
        record=record,
        is_senco=Role.SENCO in context.roles,
        can_review=_can_review(),
        badges_on=badges_enabled(),
        # Badges are issued for the national modules, whose achievements verifiers can look up.
        badge_modules=catalogue().modules,
    )


@bp.route("/external/new", methods=["GET", "POST"])
@requires(Permission.TAKE_TRAINING)
def add_external_cpd():
    form = ExternalCpdForm()
    if form.validate_on_submit():
        try:
            writing.record_external_cpd(
                user_id=current_user.id,
                school_id=_school_id(),
                details=form.details(),
                evidence=form.evidence_upload,
                once_key=form.once_key.data,
            )
        except external_cpd.ExternalCpdRefused as problem:
            # The form checks the same rules, so this is a rare race; the summary links to the top field.
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(problem)]
        except evidence_files.EvidenceNotStored as problem:
            db.session.rollback()
            form.evidence.errors = [*form.evidence.errors, str(problem)]
            return render_template("cpd/add_external_cpd.html", form=form), 503
        else:
            db.session.commit()
            flash(f"“{form.title.data}” was added to your CPD record.")
            return redirect(url_for("cpd.your_record"))
    # An oversized file is refused as "too large" (413), with the form and the person's input kept.
    return render_template("cpd/add_external_cpd.html", form=form), 413 if form.evidence_too_large else 200


@bp.route("/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@requires(Permission.TAKE_TRAINING)
def correct_external_cpd(entry_id: int):
    record = reading.build_record(current_user, catalogue=catalogue())
    entry = record.find(entry_id)
    if entry is None or entry.current_version is None or entry.current_version.details_of_external is None:
        abort(404)
    current = entry.current_version
    form = CorrectExternalCpdForm()
    if not form.is_submitted():
        form.fill_from(current.details_of_external)
    if form.validate_on_submit():
        try:
            writing.correct_external_cpd(
                record=record,
                entry_id=entry_id,
                details=form.details(),
                evidence=form.evidence_upload,
                keep_evidence=not form.remove_evidence.data,
                once_key=form.once_key.data,
            )
        except external_cpd.ExternalCpdRefused as problem:
            # The form checks the same rules, so this is a rare race; the summary links to the top field.
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(problem)]
        except evidence_files.EvidenceNotStored as problem:
            db.session.rollback()
            form.evidence.errors = [*form.evidence.errors, str(problem)]
            return render_template("cpd/correct_external_cpd.html", form=form, entry=current), 503
        else:
            db.session.commit()
            flash(f"Your correction to “{form.title.data}” was saved. The original stays on your record.")
            return redirect(url_for("cpd.your_record"))
    status = 413 if form.evidence_too_large else 200
    return render_template("cpd/correct_external_cpd.html", form=form, entry=current), status


@bp.route("/entries/<int:entry_id>/evidence")
@requires(Permission.TAKE_TRAINING)
def download_evidence(entry_id: int):
    record = reading.build_record(current_user)
    evidence, data = evidence_files.evidence_for_or_404(record, entry_id)
    return _evidence_response(evidence, data, record.find(entry_id).sequence)


@bp.route("/certificates/<module_id>")
@requires(Permission.TAKE_TRAINING)
def download_certificate(module_id: str):
    record = reading.build_record(current_user, catalogue=catalogue())
    completion = certificates.certificate_entry(record, module_id)
    if completion is None:
        if module_id not in catalogue().modules:
            abort(404)
        # Not completed (or its certificate was voided): the module's page says what is left to do.
        return redirect(url_for("learn.show_module", module_id=module_id))
    code = certificates.code_for(completion.entry)
    pdf = certificates.certificate_pdf(
        completion=completion,
        person_name=current_user.name,
        school_name=certificates.school_name_of(completion.entry),
        verify_url=public_url("certificates.verify_certificate", code=code),
        code=code,
    )
    return _attachment(pdf, "application/pdf", f"certificate-{module_id}.pdf")


def _own_badge_or_redirect(module_id: str):
    if not badges_enabled():
        abort(404)
    if module_id not in catalogue().modules:
        abort(404)  # a school's own module: no badge (see learning.badges.issue_on_completion)
    badge = learning.badge_for_module(current_user.id, module_id)
    if badge is not None:
        return badge
    # A completion from before badges were switched on: its badge is issued now.
    record = reading.build_record(current_user, catalogue=catalogue())
    completion = certificates.certificate_entry(record, module_id)
    if completion is None:
        return None
    badge = learning.issue_badge(catalogue=catalogue(), entry=completion.entry)
    db.session.commit()
    return badge


@bp.route("/badges/<module_id>")
@requires(Permission.TAKE_TRAINING)
def your_badge(module_id: str):
    badge = _own_badge_or_redirect(module_id)
    if badge is None:
        return redirect(url_for("learn.show_module", module_id=module_id))
    return render_template(
        "cpd/your_badge.html",
        checked=learning.badge_standing(badge),
        statuses=learning.BadgeStatus,
        module_id=module_id,
        share_url=public_url("badges.show_badge", credential_uuid=badge.credential_uuid),
    )


@bp.route("/badges/<module_id>.json")
@requires(Permission.TAKE_TRAINING)
def download_badge_json(module_id: str):
    badge = _own_badge_or_redirect(module_id)
    if badge is None:
        return redirect(url_for("learn.show_module", module_id=module_id))
    data = json.dumps(learning.credential_of(badge), indent=2, ensure_ascii=False)
    return _attachment(data, "application/json", f"badge-{module_id}.json")


@bp.route("/badges/<module_id>.jwt")
@requires(Permission.TAKE_TRAINING)
def download_badge_jwt(module_id: str):
    badge = _own_badge_or_redirect(module_id)
    if badge is None:
        return redirect(url_for("learn.show_module", module_id=module_id))
    return _attachment(badge.signed_credential, "application/vc+jwt", f"badge-{module_id}.jwt")


@bp.route("/record.csv")
@requires(Permission.TAKE_TRAINING)
def export_csv():
    record = _record_of(current_user)
    # Werkzeug adds "; charset=utf-8" to a text/ type itself.
    return _attachment(exports.record_csv(record), "text/csv", f"cpd-record{_year_suffix(record)}.csv")


@bp.route("/statement.pdf")
@requires(Permission.TAKE_TRAINING)
def download_statement():
    record = _record_of(current_user)
    context = current_context()
    pdf = exports.statement_pdf(
        record,
        school_name=context.school.name if context and context.school else None,
        generated_at=datetime.now(UTC),
    )
    return _attachment(pdf, "application/pdf", f"cpd-statement{_year_suffix(record)}.pdf")


# ---- your staff's records -------------------------------------------------------------------------


@bp.route("/reviews")
@requires(Permission.REVIEW_CPD_RECORDS)
def list_reviews():
    school = current_school()
    waiting = school_view.awaiting_review(school, reviewer_id=current_user.id)
    return render_template("cpd/list_reviews.html", school=school, waiting=waiting)


@bp.route("/people/<int:user_id>")
@requires(Permission.REVIEW_CPD_RECORDS)
def show_person_record(user_id: int):
    if user_id == current_user.id:
        year, kind = reading.filters_from(request.args)
        return redirect(url_for("cpd.your_record", year=year, kind=kind))
    school = current_school()
    person = school_view.person_at_school_or_404(school, user_id)
    return render_template(
        "cpd/show_person_record.html", record=_school_record_of(person, school), person=person, school=school
    )


@bp.route("/people/<int:user_id>/statement.pdf")
@requires(Permission.REVIEW_CPD_RECORDS)
def download_person_statement(user_id: int):
    school = current_school()
    person = school_view.person_at_school_or_404(school, user_id)
    record = _school_record_of(person, school)
    pdf = exports.statement_pdf(record, school_name=school.name, generated_at=datetime.now(UTC))
    return _attachment(pdf, "application/pdf", f"cpd-statement-{person.id}{_year_suffix(record)}.pdf")


@bp.route("/staff-entries/<int:staff_entry_id>/review", methods=["GET", "POST"])
@requires(Permission.REVIEW_CPD_RECORDS)
def review_entry(staff_entry_id: int):
    school = current_school()
    entry, person = school_view.staff_entry_or_404(school, staff_entry_id, terms.EXTERNAL_KINDS)
    record = school_view.record_for_school(person, school, catalogue=catalogue())
    current = school_view.owned_entry_or_404(record, entry.id).current_version
    if current is None:
        abort(404)
    if person.id == current_user.id:
        return render_template("cpd/review_entry.html", own=True, person=person, entry=current, form=None)
    form = ReviewForm()
    if not form.is_submitted():
        form.seen_version.data = str(current.id)
    if form.validate_on_submit():
        decision = ReviewDecision(form.decision.data)
        try:
            writing.review_external_cpd(
                reviewer_id=current_user.id,
                school=school,
                record=record,
                entry_id=entry.id,
                seen_version_id=form.seen_version_id() or 0,
                decision=decision,
                comment=form.comment.data or "",
                once_key=form.once_key.data,
            )
        except external_cpd.ExternalCpdRefused as problem:
            db.session.rollback()
            form.decision.errors = [*form.decision.errors, str(problem)]
            form.seen_version.data = str(current.id)
        else:
            db.session.commit()
            verb = "verified" if decision is ReviewDecision.VERIFY else "rejected"
            flash(f"You {verb} “{current.title}” on {person.name}'s CPD record.")
            return redirect(url_for("cpd.list_reviews"))
    return render_template("cpd/review_entry.html", own=False, person=person, entry=current, form=form)


@bp.route("/staff-entries/<int:staff_entry_id>/evidence")
@requires(Permission.REVIEW_CPD_RECORDS)
def download_staff_evidence(staff_entry_id: int):
    school = current_school()
    entry, person = school_view.staff_entry_or_404(school, staff_entry_id, terms.EXTERNAL_KINDS)
    # Evidence follows its entry: this school's own, or another school's while the person shares it.
    record = school_view.record_for_school(person, school)
    evidence, data = evidence_files.evidence_for_or_404(record, entry.id)
    return _evidence_response(evidence, data, entry.sequence)


@bp.route("/staff-completions/<int:completion_id>/void", methods=["GET", "POST"])
@requires(Permission.REVIEW_CPD_RECORDS)
def void_certificate(completion_id: int):
    school = current_school()
    entry, person = school_view.staff_entry_or_404(school, completion_id, MODULE_KINDS)
    record = school_view.record_for_school(person, school, catalogue=catalogue())
    completion = school_view.owned_entry_or_404(record, entry.id)
    form = VoidCertificateForm()
    if completion.voided_by is None and form.validate_on_submit():
        certificates.void_certificate(
            leader_id=current_user.id, school=school, record=record, completion_id=entry.id, reason=form.reason.data
        )
        db.session.commit()
        flash(f"The certificate for “{completion.title}” was voided. Its code no longer checks as valid.")
        if person.id == current_user.id:
            return redirect(url_for("cpd.your_record"))
        return redirect(url_for("cpd.show_person_record", user_id=person.id))
    return render_template("cpd/void_certificate.html", person=person, completion=completion, form=form)


# ---- checking a certificate -----------------------------------------------------------------------


@certificates_bp.route("/verify", methods=["GET", "POST"])
@public
def verify():
    """Check a certificate's code, or an Open Badge pasted or uploaded."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("certificates.verify_certificate", code=code))
    form = CheckBadgeForm()
    checked = None
    if form.validate_on_submit():
        try:
            checked = learning.check_badge(form.text)
        except KeysNotConfigured:
            form.credential.errors = [*form.credential.errors, "This site issues no badges, so it cannot check one"]
    return render_template("cpd/verify.html", form=form, checked=checked, statuses=learning.BadgeStatus)


@certificates_bp.route("/verify/<code>")
@public
def verify_certificate(code: str):
    checked = learning.check_certificate(code, catalogue=catalogue(), today=terms.local_date(datetime.now(UTC)))
    # A voided certificate, like an unknown code, is not a valid one: 404. An expired one is genuine.
    found = checked is not None and checked.status is not learning.CertificateStatus.VOIDED
    response = Response(
        render_template("cpd/verify_certificate.html", checked=checked, code=code, statuses=learning.CertificateStatus),
        status=200 if found else 404,
    )
    # A person's name is on the page: it is for whoever holds the code, not for search engines.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
