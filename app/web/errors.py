"""Error pages: plain words, no stack traces, and for a server error a reference that is also logged."""

import logging
import secrets

from flask import render_template
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from app.platform import read_again_on_new_connection

log = logging.getLogger("send_ready.errors")

KNOWN_PAGES = {400: "errors/400.html", 403: "errors/403.html", 404: "errors/404.html", 429: "errors/429.html"}


def register_error_handlers(app) -> None:
    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error):
        return render_template("errors/429.html"), 429

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            return server_error(error)
        template = KNOWN_PAGES.get(code)
        if template is None:
            return render_template("errors/other.html", error=error), code
        return render_template(template), code

    @app.errorhandler(Exception)
    def server_error(error):
        read_again = read_again_on_new_connection(error)
        if read_again is not None:
            return read_again
        reference = secrets.token_hex(4).upper()
        log.error("Server error, reference %s", reference, exc_info=error)
        try:
            from app.extensions import db

            db.session.rollback()
        except Exception:
            log.exception("Rolling back after error %s failed", reference)
        return render_template("errors/500.html", reference=reference), 500
