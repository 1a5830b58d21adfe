"""Error pages: plain words, no stack traces, and for a server error a reference that is also logged."""

import logging
import secrets

from flask import current_app, g, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy import exc as sqlalchemy_errors
from werkzeug.exceptions import HTTPException

from app.platform import read_again_on_new_connection

log = logging.getLogger("send_ready.errors")

KNOWN_PAGES = {400: "errors/400.html", 403: "errors/403.html", 404: "errors/404.html", 429: "errors/429.html"}

# How long a browser or program is asked to wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS = 5


def is_database_unavailable(error: BaseException) -> bool:
    """True when the database could not do the work at all: its connection dropped or was refused, the
    pool had none free, or the server gave up on the transaction (a deadlock, a serialization failure).

    Whatever the request wrote was rolled back with the transaction, so the person can safely try again.
    """
    if isinstance(error, sqlalchemy_errors.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sqlalchemy_errors.OperationalError | sqlalchemy_errors.TimeoutError)


def register_error_handlers(app) -> None:
    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error):
        return render_template("errors/429.html"), 429

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            return server_error(error)
        # What the error says in its headers stays (a 405's Allow, for one), but not its content type.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        if _for_a_program():
            return jsonify({"error": {"status": code, "message": error.name}}), code, headers
        template = KNOWN_PAGES.get(code)
        if template is None:
            return render_template("errors/other.html", error=error), code, headers
        return render_template(template), code, headers

    @app.errorhandler(sqlalchemy_errors.DBAPIError)
    @app.errorhandler(sqlalchemy_errors.TimeoutError)
    def database_error(error):
        # A page that only reads is run once more on a fresh connection; a write gets the 503 page.
        read_again = read_again_on_new_connection(error)
        if read_again is not None:
            return read_again
        if not is_database_unavailable(error):
            return server_error(error)
        return database_unavailable(error)

    def database_unavailable(error):
        reference = secrets.token_hex(4).upper()
        log.error("Database unavailable, reference %s: %s", reference, error, exc_info=error)
        _roll_back(reference)
        # The page is drawn as for someone signed out: finding out who is signed in needs the database.
        g._login_user = current_app.login_manager.anonymous_user()
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if _for_a_program():
            body = {"error": {"status": 503, "message": "Service Unavailable", "reference": reference}}
            return jsonify(body), 503, headers
        return render_template("errors/503.html", reference=reference), 503, headers

    @app.errorhandler(Exception)
    def server_error(error):
        reference = secrets.token_hex(4).upper()
        # Flask wraps an error raised while handling another in InternalServerError: log what went wrong.
        log.error("Server error, reference %s", reference, exc_info=getattr(error, "original_exception", None) or error)
        _roll_back(reference)
        return render_template("errors/500.html", reference=reference), 500


def _for_a_program() -> bool:
    """The JSON API answers in JSON, refusals included, even before a route was found (a 405, a 404)."""
    return request.path.startswith("/api/")


def _roll_back(reference: str) -> None:
    try:
        from app.extensions import db

        db.session.rollback()
    except Exception:
        log.exception("Rolling back after error %s failed", reference)
