"""The platform every area stands on: email through the outbox, links to the public site, the audit log,
PDFs, spreadsheet-safe text and small-number suppression. Other areas use it only through the names below."""

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
from app.platform.database import read_again_on_new_connection
from app.platform.email import AnotherPerson, queue_email, without_sign_in_links
from app.platform.links import public_url
from app.platform.pdf import render_pdf
from app.platform.small_numbers import FEWER_THAN, is_small, people_count, percent_of_people, share_of_people
from app.platform.spreadsheets import FORMULA_STARTS, spreadsheet_safe

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "FEWER_THAN",
    "FORMULA_STARTS",
    "SIGNING_ALGORITHM",
    "AnotherPerson",
    "BadKeys",
    "KeysNotConfigured",
    "badge_keys",
    "badges_enabled",
    "eddsa_allowed",
    "is_small",
    "people_count",
    "percent_of_people",
    "public_url",
    "queue_email",
    "read_again_on_new_connection",
    "record_event",
    "render_pdf",
    "share_of_people",
    "spreadsheet_safe",
    "without_sign_in_links",
]
