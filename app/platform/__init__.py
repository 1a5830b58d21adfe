"""The platform every area stands on: email through the outbox, links to the public site, the audit log,
PDFs and spreadsheet-safe text. Other areas use it only through the names below."""

from app.platform.audit import record_event
from app.platform.credential_keys import (
    ACCEPTED_ALGORITHMS,
    SIGNING_ALGORITHM,
    BadKeys,
    KeysNotConfigured,
    badge_keys,
    badges_enabled,
    eddsa_allowed,
)
from app.platform.email import AnotherPerson, queue_email, without_sign_in_links
from app.platform.links import public_url
from app.platform.pdf import render_pdf
from app.platform.spreadsheets import FORMULA_STARTS, spreadsheet_safe

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "FORMULA_STARTS",
    "SIGNING_ALGORITHM",
    "AnotherPerson",
    "BadKeys",
    "KeysNotConfigured",
    "badge_keys",
    "badges_enabled",
    "eddsa_allowed",
    "public_url",
    "queue_email",
    "record_event",
    "render_pdf",
    "spreadsheet_safe",
    "without_sign_in_links",
]
