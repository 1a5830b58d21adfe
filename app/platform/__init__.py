"""The platform every area stands on: email through the outbox, links to the public site, the audit log,
PDFs and spreadsheet-safe text. Other areas use it only through the names below."""

from app.platform.audit import record_event
from app.platform.database import read_again_on_new_connection
from app.platform.email import AnotherPerson, queue_email, without_sign_in_links
from app.platform.links import public_url
from app.platform.pdf import render_pdf
from app.platform.spreadsheets import FORMULA_STARTS, spreadsheet_safe

__all__ = [
    "FORMULA_STARTS",
    "AnotherPerson",
    "public_url",
    "queue_email",
    "read_again_on_new_connection",
    "record_event",
    "render_pdf",
    "spreadsheet_safe",
    "without_sign_in_links",
]
