"""Form fields shared by the blueprints' forms."""

import secrets
from datetime import date, timedelta

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, HiddenField
from wtforms.validators import InputRequired, Length


def example_date(days_ahead: int, today: date | None = None) -> str:
    """A date hint's example as typed in the day, month and year boxes ("27 3 2027"), worked out from
    today, so that a hint for a date in the future never shows one already past."""
    day = (today or date.today()) + timedelta(days=days_ahead)
    return f"{day.day} {day.month} {day.year}"


def strip_whitespace(value):
    """People paste email addresses and names with stray spaces; they are never meaningful."""
    return value.strip() if isinstance(value, str) else value


class DayMonthYearField(DateField):
    """A date typed as day, month and year boxes (the GOV.UK date pattern).

    The widget posts three values under one name. A form that arrives with the boxes missing
    (tampered with, or from an old page) is treated as blank rather than breaking the page.
    """

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist):
        parts = [part.strip() for part in [*valuelist, "", "", ""][:3]]
        # The widget re-renders from raw_data and expects exactly the three boxes.
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        try:
            day, month, year = (int(part) for part in parts)
            self.data = date(year, month, day)
        except ValueError as error:
            raise ValueError("Enter a real date, for example 1 9 2026") from error


class OnceOnlyField(HiddenField):
    """A random key drawn when the form is shown and stored with what the form creates.

    A second submit of the same form (a double click, the back button, a replayed request) carries
    the same key, which the database's unique constraint refuses, so the write happens once.
    """

    def __init__(self, label="", **kwargs):
        kwargs.setdefault("default", lambda: secrets.token_urlsafe(18))
        kwargs.setdefault("validators", [InputRequired(message="The form has expired: try again"), Length(max=64)])
        super().__init__(label, **kwargs)
