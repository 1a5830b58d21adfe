"""Security headers on every response, error pages included."""

from flask import Response, current_app, request, session

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if current_app.config["PRODUCTION"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # A signed-in page may show personal records: no browser or proxy may keep a copy. Whether someone
    # is signed in is read from the session cookie, not the database: by now the request's work is
    # done (and maybe committed), and a database that has just gone away must not turn it into an error.
    signed_in = bool(session.get("_user_id")) if request.endpoint != "static" else False
    if signed_in or request.endpoint in {"auth.set_password", "auth.reset_password"}:
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
