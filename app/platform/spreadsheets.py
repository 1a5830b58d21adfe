"""Text for spreadsheets: a cell that starts like a formula is made plain, so that a name or a title
someone typed can never run as a formula when a download is opened in Excel (CSV injection)."""

from __future__ import annotations

# What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The cell's text, with a leading apostrophe if a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
