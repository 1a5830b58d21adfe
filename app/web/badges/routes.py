"""Open Badges' public addresses, for verifiers and for anyone a person shares a badge with: the
signing keys (JWKS), the revocation status list, the issuing schools' profiles, the achievements,
and a shared badge's page and signed credential. None needs signing in; none names a person."""

from __future__ import annotations

from flask import Response, abort, jsonify, render_template
from sqlalchemy import exists, select

from app import learning
from app.content import catalogue
from app.extensions import db
from app.models import OpenBadge, School
from app.permissions import public
from app.platform import KeysNotConfigured, badge_keys
from app.web.badges import bp

# The largest list number that can exist: ids are PostgreSQL integers.
LAST_LIST = 2**31 // learning.STATUS_LIST_SIZE + 1


def _public_json(data: dict, *, mimetype: str = "application/json", max_age: int = 300) -> Response:
    response = jsonify(data)
    response.mimetype = mimetype
    # Verifiers elsewhere fetch these from their own pages.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.route("/jwks.json")
@public
def jwks():
    try:
        keys = badge_keys()
    except KeysNotConfigured:
        return _public_json({"keys": []})
    return _public_json(keys.public_jwks())


@bp.route("/status/<int:list_number>")
@public
def status_list(list_number: int):
    if not 1 <= list_number <= LAST_LIST:
        abort(404)
    try:
        token = learning.signed_status_list(list_number)
    except KeysNotConfigured:
        abort(404)
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Access-Control-Allow-Origin"] = "*"
    # Short: a voided certificate should show as revoked within a minute.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/issuers/<urn>")
@public
def issuer_profile(urn: str):
    # Only a school that has issued a badge has a public profile: the rest stay unlisted.
    school = db.session.scalar(
        select(School).where(School.urn == urn, exists().where(OpenBadge.school_id == School.id))
    )
    if school is None:
        abort(404)
    return _public_json({"@context": [learning.VC_CONTEXT, learning.OB_CONTEXT], **learning.issuer_profile(school)})


@bp.route("/achievements/<module_id>")
@public
def achievement(module_id: str):
    module = catalogue().modules.get(module_id)
    if module is None:
        abort(404)
    return _public_json(
        {"@context": [learning.VC_CONTEXT, learning.OB_CONTEXT], **learning.achievement(catalogue(), module)}
    )


def _shared_badge_or_404(credential_uuid: str) -> OpenBadge:
    badge = db.session.scalars(select(OpenBadge).where(OpenBadge.credential_uuid == credential_uuid.lower())).first()
    if badge is None:
        abort(404)
    return badge


@bp.route("/<credential_uuid>")
@public
def show_badge(credential_uuid: str):
    badge = _shared_badge_or_404(credential_uuid)
    checked = learning.badge_standing(badge)
    response = Response(
        render_template("badges/show_badge.html", badge=badge, checked=checked, statuses=learning.BadgeStatus)
    )
    # Shared by the person with whom they choose, not for search engines.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/<credential_uuid>.jwt")
@public
def download_shared_badge(credential_uuid: str):
    badge = _shared_badge_or_404(credential_uuid)
    response = Response(badge.signed_credential, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{badge.credential_uuid}.jwt"'
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
