"""The JSON API, version 1: the signed-in person's own data, with the browser session as credentials.

Only GET requests, which change nothing, so CSRF does not arise. Every answer is JSON, refusals
included: signed out is 401 (a program has no sign-in page to be sent to), the wrong role 403 and a
missing thing 404.
"""

from flask import current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from app.content import catalogue
from app.permissions import Permission, public, requires
from app.records import exports, reading, xapi
from app.web.api import bp
from app.web.api.openapi import build_openapi_document


@bp.route("/me/cpd")
@requires(Permission.TAKE_TRAINING)
def my_cpd():
    """Your CPD record: `?year=2025` (the academic year starting then) and `?kind=` filter the entries."""
    year, kind = reading.filters_from(request.args)
    record = reading.build_record(current_user, catalogue=catalogue(), year=year, kind=kind)
    return jsonify(exports.record_json(record))


@bp.route("/me/xapi")
@requires(Permission.TAKE_TRAINING)
def my_xapi():
    """Your CPD record as xAPI 1.0.3 statements, oldest first, shaped like an LRS's StatementResult."""
    response = jsonify({"statements": xapi.statements_for_person(current_user.id), "more": ""})
    # An LRS answers every request with the version it speaks; xAPI clients read it before the body.
    response.headers["X-Experience-API-Version"] = xapi.XAPI_VERSION
    return response


@bp.route("/openapi.json")
@public
def openapi_document():
    """The OpenAPI 3.1 document describing this API (app/web/api/openapi.py), built once per process."""
    document = current_app.extensions.get("openapi_document")
    if document is None:
        document = current_app.extensions["openapi_document"] = build_openapi_document("/")
    return jsonify(document)


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException):
    response = jsonify({"error": {"status": error.code, "message": error.name}})
    # Keep what the error says in its headers (a 405's Allow, for one), but not its HTML content type.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, error.code
