"""Numbers in addresses: an id the database cannot hold is "not found" before any view runs."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from app.models.base import LARGEST_ID


class DatabaseIntegerConverter(IntegerConverter):
    """Flask's `<int:...>`, bounded by what the database can hold, so a larger number answers 404.

    It replaces the `int` converter for the whole app, so every route, present and future, is covered
    without a check in each view.
    """

    def __init__(self, map: Map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        if self.max is None or self.max > LARGEST_ID:
            self.max = LARGEST_ID
