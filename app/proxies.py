"""The client's real address when SEND Ready runs behind a reverse proxy (nginx, HAProxy, a load balancer).

Behind a proxy every request reaches gunicorn from the proxy, so the socket's address is the proxy's,
and a rate limit keyed on it would count everyone together: one person's wrong passwords would shut
out all the others. The proxy says whom it is forwarding for in `X-Forwarded-For`, adding the address
it saw to the end of whatever the client sent. `TRUSTED_PROXIES` says how many proxies stand in front
of SEND Ready; Werkzeug's ProxyFix then takes the client's address from the entry that many places
from the end of the header, which those proxies wrote, and ignores anything further left, which the
client could have written itself. `X-Forwarded-Proto` and `X-Forwarded-Host` are read as set by the
proxy nearest SEND Ready, which replaces any the client sent.

With 0, the default, the headers are ignored: the socket's address is the client's. That is right
when people connect to SEND Ready directly, and wrong behind a proxy, so a request that arrives with
`X-Forwarded-For` while no proxy is trusted is logged once per process, saying what to set.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger("send_ready.proxies")


def trust_proxies(app: Flask) -> None:
    """Read the client's address, scheme and host from the headers the trusted proxies set, if any."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # Each proxy adds an address to X-Forwarded-For; the scheme and host are one value each, set
        # (replacing whatever it was sent) by the proxy nearest the app.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=1, x_host=1)  # type: ignore[method-assign]
        return
    warned = False

    @app.before_request
    def warn_about_an_untrusted_proxy():
        nonlocal warned
        if not warned and "X-Forwarded-For" in request.headers:
            warned = True
            log.warning(
                "A request came with an X-Forwarded-For header, which is ignored because TRUSTED_PROXIES is 0. "
                "If SEND Ready is behind a reverse proxy, set TRUSTED_PROXIES to the number of proxies in front "
                "of it: until then every request seems to come from the proxy's address (%s), so everyone shares "
                "one sign-in rate limit.",
                request.remote_addr,
            )
