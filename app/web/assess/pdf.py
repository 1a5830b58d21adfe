"""The board report as a PDF, made with WeasyPrint from the same template as the printable page."""

from __future__ import annotations


def html_to_pdf(html: str, stylesheet: str) -> bytes:
    """Render the page's HTML with the print stylesheet. Nothing is fetched: no network, no files,
    so text that people typed can never make the server reach for anything."""
    # Imported here: WeasyPrint takes about a second to import, which only a PDF request should pay.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetch_nothing = URLFetcher(allowed_protocols=())
    return HTML(string=html, url_fetcher=fetch_nothing).write_pdf(
        stylesheets=[CSS(string=stylesheet, url_fetcher=fetch_nothing)]
    )
