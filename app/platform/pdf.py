"""PDFs made with WeasyPrint from the app's templates, with every outside resource refused, so nothing a
person typed can make the renderer fetch a URL or read a file (fonts come from the system)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import render_template

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher


def _no_fetching() -> URLFetcher:
    from weasyprint.urls import URLFetcher

    # No protocol is allowed: the documents are self-contained (fonts come from the system).
    return URLFetcher(allowed_protocols=(), allow_redirects=False)


def render_pdf(template: str, **context) -> bytes:
    """Render a template to PDF with the PDF stylesheet."""
    # WeasyPrint (and Pango under it) is imported when a PDF is made, not when the app starts: it was
    # most of every flask command's start-up time.
    from weasyprint import CSS, HTML

    html = render_template(template, **context)
    stylesheet = CSS(string=render_template("cpd/pdf.css"), url_fetcher=_no_fetching())
    return HTML(string=html, url_fetcher=_no_fetching(), base_url=None).write_pdf(stylesheets=[stylesheet])
