"""Markdown pages to HTML with GOV.UK Frontend's classes. Raw HTML in a page is shown as text."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
    "blockquote_open": "govuk-inset-text",
    "table_open": "govuk-table",
    "thead_open": "govuk-table__head",
    "tbody_open": "govuk-table__body",
    "tr_open": "govuk-table__row",
    "th_open": "govuk-table__header",
    "td_open": "govuk-table__cell",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
}
HEADING_CLASSES = {"h2": "govuk-heading-m", "h3": "govuk-heading-s", "h4": "govuk-heading-s"}


def _add_govuk_classes(state) -> None:
    for token in state.tokens:
        if token.type == "heading_open":
            # The page title is the h1, so a page's own headings start at h2.
            if token.tag == "h1":
                token.tag = "h2"
            token.attrSet("class", HEADING_CLASSES.get(token.tag, "govuk-heading-s"))
        elif token.type == "heading_close" and token.tag == "h1":
            token.tag = "h2"
        elif token.type in CLASSES:
            token.attrSet("class", CLASSES[token.type])
            if token.type == "th_open":
                token.attrSet("scope", "col")
        if token.children:
            for child in token.children:
                if child.type == "link_open":
                    child.attrSet("class", CLASSES["link_open"])


_renderer = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
_renderer.core.ruler.push("govuk_classes", _add_govuk_classes)


def render_markdown(text: str) -> Markup:
    return Markup(_renderer.render(text))  # noqa: S704 (html is off: the source's own tags are escaped)
