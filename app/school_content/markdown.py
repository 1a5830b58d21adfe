"""A school's Markdown as safe HTML: rendered as the national pages are, then sanitised with nh3.

The national pages are the project's own; a school's are written by anyone its leaders let write, so
whatever the renderer lets through is cleaned again against an allow-list. Headings, paragraphs,
lists, links, tables, quotations and emphasis stay; images (which would load from another site),
raw HTML, scripts, styles and event attributes do not.
"""

from __future__ import annotations

import nh3
from markupsafe import Markup

from app.content.markdown import render_markdown

ALLOWED_TAGS = frozenset(
    {
        "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "a", "strong", "em", "code", "pre", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
# The renderer adds GOV.UK Frontend's classes; a school's text cannot add attributes of its own (raw
# HTML is escaped before nh3 sees it), and nh3 drops every attribute not named here.
ALLOWED_ATTRIBUTES = {
    "*": {"class"},
    "a": {"href"},
    "th": {"scope"},
}
ALLOWED_URL_SCHEMES = frozenset({"https", "http", "mailto"})


def clean_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_school_markdown(text: str) -> Markup:
    """A school's Markdown page as HTML that is safe to show to anyone at the school."""
    return Markup(clean_html(str(render_markdown(text))))  # noqa: S704 (sanitised by nh3 just above)
