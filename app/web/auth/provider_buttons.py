"""The "Sign in with Microsoft" and "Sign in with Google" buttons on the sign-in page.

A provider this deployment has no client id and secret for is shown only outside production, as a
button that does nothing and says it is not set up, so that a demo shows where the buttons go."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from app.people import sign_in_providers
from app.people.models import SignInProvider
from app.web.security import CONTENT_SECURITY_POLICY

PROVIDER_LABELS = {provider.value: provider.label for provider in SignInProvider}


@dataclass(frozen=True)
class ProviderButton:
    provider: SignInProvider
    configured: bool

    @property
    def label(self) -> str:
        return self.provider.label


def provider_buttons() -> list[ProviderButton]:
    show_unconfigured = not current_app.config["PRODUCTION"]
    buttons = [ProviderButton(p, sign_in_providers.is_configured(p)) for p in SignInProvider]
    return [button for button in buttons if button.configured or show_unconfigured]


def content_security_policy() -> str:
    """The page's policy, letting its forms go to the configured providers: a browser holds a form's
    redirects to `form-action` too, and the sign-in buttons' forms are redirected to the provider."""
    origins = sorted(
        {
            f"{parts.scheme}://{parts.netloc}"
            for provider in sign_in_providers.configured_providers()
            if (parts := urlsplit(current_app.config[f"{provider.value.upper()}_METADATA_URL"])).netloc
        }
    )
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
