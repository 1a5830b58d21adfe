"""Addresses that must work away from the site (in an email, on a certificate), built from
PUBLIC_BASE_URL. They are built the same way in a request or outside one: the scheduled jobs and
the command line (`flask send-reminders`, `flask import-staff`) have no request to take a host from."""

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute address of an endpoint, for example public_url("auth.sign_in")."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
