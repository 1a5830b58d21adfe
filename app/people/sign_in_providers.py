"""Signing in with a school's Microsoft 365 (Entra ID) or Google Workspace account: OpenID Connect through
Authlib's Flask client.

The authorization code flow, with a PKCE challenge (S256), `state` and `nonce`. Authlib keeps the state's
data (the nonce, the PKCE verifier, the redirect URI) in the session under that state, and takes it out
when the provider sends the person back, so a state it did not hand out, or one already used, is
refused before the code is redeemed. The code is then redeemed at the provider's token endpoint, and
the ID token's signature (against the provider's published keys, with only the algorithms its
discovery document lists), issuer, audience (this site's client id, and `azp` when there are several),
expiry, issue time and nonce are checked. Entra's multi-tenant endpoint gives its issuer as
`https://login.microsoftonline.com/{tenantid}/v2.0`: a token's issuer must be that with the token's own
`tid`, so a token one tenant issued cannot claim another tenant; which tenants are allowed at all is
each school's setting (`sign_in_links`).

Each deployment registers SEND Ready with each provider and sets the client id and secret in the
environment (`MICROSOFT_CLIENT_ID` ...); a provider without both is not configured and no school can
use it. What a successful sign-in gives is a `ProviderAccount`; whether it may sign anyone in is
`sign_in_links`'s business.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from app.people.models import SignInProvider

if TYPE_CHECKING:
    from authlib.integrations.flask_client import OAuth

# Authlib, joserfc and requests are imported where a provider sign-in needs them, not at start-up:
# together they were a few tenths of a second of every flask command's start.

log = logging.getLogger(__name__)

SCOPES = "openid email profile"
# How far the provider's clock may be from ours when checking a token's times.
CLOCK_SKEW_SECONDS = 60
# The longest any request to a provider may take: the person is waiting.
PROVIDER_TIMEOUT_SECONDS = 10
TENANT_PLACEHOLDER = "{tenantid}"
# Entra's tenant ids are GUIDs: anything else in `tid` could not be put into an issuer safely.
TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Google has issued ID tokens with either issuer.
GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_ISSUER_ALIASES = {GOOGLE_ISSUER: {GOOGLE_ISSUER, "accounts.google.com"}}
_REGISTRY = "sign_in_providers"


class ProviderSignInFailed(Exception):
    """The provider's answer was refused; the message says why, for the log (people see one answer)."""


@dataclass(frozen=True)
class ProviderAccount:
    """Who the provider says signed in, from a checked ID token."""

    provider: SignInProvider
    # The provider's stable id for the account: Google's `sub`; for Microsoft `tid:oid`, the tenant and
    # the object id, which stay the same when a mailbox is renamed.
    subject: str
    tenant_id: str | None
    email: str
    email_verified: bool
    # Google Workspace's domain (`hd`); None for a consumer Google account and for Microsoft.
    hosted_domain: str | None
    # The provider says the person signed in with more than one factor (`amr` includes "mfa").
    multi_factor: bool

    @property
    def email_domain(self) -> str:
        return self.email.rpartition("@")[2]


def is_configured(provider: SignInProvider) -> bool:
    """Whether this deployment has a client id and secret for the provider."""
    config = current_app.config
    name = provider.value.upper()
    return bool(config.get(f"{name}_CLIENT_ID") and config.get(f"{name}_CLIENT_SECRET"))


def configured_providers() -> list[SignInProvider]:
    return [provider for provider in SignInProvider if is_configured(provider)]


def _client(provider: SignInProvider):
    """The app's Authlib client for the provider, registered once per app on first use."""
    from authlib.integrations.flask_client import OAuth

    registry: OAuth | None = current_app.extensions.get(_REGISTRY)
    if registry is None:
        registry = OAuth(current_app)
        current_app.extensions[_REGISTRY] = registry
    client = registry.create_client(provider.value)
    if client is None:
        name = provider.value.upper()
        client = registry.register(
            provider.value,
            client_id=current_app.config[f"{name}_CLIENT_ID"],
            client_secret=current_app.config[f"{name}_CLIENT_SECRET"],
            server_metadata_url=current_app.config[f"{name}_METADATA_URL"],
            client_kwargs={
                "scope": SCOPES,
                "code_challenge_method": "S256",
                "default_timeout": PROVIDER_TIMEOUT_SECONDS,
            },
        )
    return client


def authorization_redirect(provider: SignInProvider, redirect_uri: str):
    """The response that sends the person to the provider to sign in (the state, nonce and PKCE
    verifier are kept in the session). Raises ProviderSignInFailed if the provider cannot be reached."""
    import requests

    try:
        return _client(provider).authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as error:
        raise ProviderSignInFailed(f"could not start: {error!r}") from error


def finish(provider: SignInProvider) -> ProviderAccount:
    """Redeem the code the provider sent back and check the ID token; who signed in.

    Raises ProviderSignInFailed for any problem: an error from the provider, a state that was not
    handed out here (forged, or used already), a code refused (replayed, issued to another client, or
    with the wrong PKCE verifier), or an ID token that fails a check.
    """
    import requests
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    client = _client(provider)
    try:
        metadata = client.load_server_metadata()
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "validate": _issuer_check(provider, metadata["issuer"])},
                # Named here because Authlib's ID token check otherwise looks at the audience only
                # through `azp`, which a token for another client can name this one in.
                "aud": {"essential": True, "values": [client.client_id]},
            },
            leeway=CLOCK_SKEW_SECONDS,
        )
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise ProviderSignInFailed(f"{type(error).__name__}: {error}") from error
    claims = token.get("userinfo")
    if not claims:
        raise ProviderSignInFailed("the provider sent no ID token")
    return _account(provider, claims)


def _issuer_check(provider: SignInProvider, expected: str):
    """The issuer rule for the provider's tokens: its discovery document's issuer, with the token's
    own tenant put in where the document has Entra's `{tenantid}`."""

    def check(claims, issuer) -> bool:
        if TENANT_PLACEHOLDER in expected:
            tenant = claims.get("tid")
            return (
                isinstance(tenant, str)
                and bool(TENANT_ID.match(tenant))
                and issuer == expected.replace(TENANT_PLACEHOLDER, tenant)
            )
        if provider is SignInProvider.MICROSOFT and claims.get("tid") and f"/{claims['tid']}/" not in expected:
            # A single-tenant issuer: the token's tenant must be the one it names.
            return False
        return issuer in GOOGLE_ISSUER_ALIASES.get(expected, {expected})

    return check


def _true(value) -> bool:
    """A boolean claim, which some providers send as a string."""
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "1"}) or value == 1


def _account(provider: SignInProvider, claims) -> ProviderAccount:
    email = str(claims.get("email") or "").strip().lower()
    if "@" not in email:
        raise ProviderSignInFailed("the ID token has no email address")
    amr = claims.get("amr") or []
    multi_factor = isinstance(amr, list) and "mfa" in amr
    if provider is SignInProvider.MICROSOFT:
        tenant, object_id = claims.get("tid"), claims.get("oid")
        if not (isinstance(tenant, str) and TENANT_ID.match(tenant) and isinstance(object_id, str) and object_id):
            raise ProviderSignInFailed("the Microsoft ID token has no tenant or object id")
        # Entra's `email` claim is not checked by Microsoft unless the domain's owner verified it
        # (`xms_edov`, an optional claim the app registration asks for).
        verified = _true(claims.get("xms_edov")) or _true(claims.get("email_verified"))
        return ProviderAccount(provider, f"{tenant}:{object_id}", tenant, email, verified, None, multi_factor)
    hosted_domain = claims.get("hd")
    return ProviderAccount(
        provider,
        str(claims["sub"]),
        None,
        email,
        _true(claims.get("email_verified")),
        str(hosted_domain).lower() if hosted_domain else None,
        multi_factor,
    )
