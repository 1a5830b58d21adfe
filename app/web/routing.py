"""Numbers in addresses: an id the database cannot hold is "not found" before any view runs."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

# The largest value of an `integer` column on PostgreSQL (a 32-bit signed integer). Every id in
# SEND Ready is one; a larger number in an address would make the database refuse the query.
LARGEST_ID = 2**31 - 1


class DatabaseIntegerConverter(IntegerConverter):
    """Flask's `<int:...>`, bounded by what the database can hold, so a larger number answers 404.

    It replaces the `int` converter for the whole app, so every route, present and future, is covered
    without a check in each view.
    """

    def __init__(self, map: Map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        if self.max is None or self.max > LARGEST_ID:
            self.max = LARGEST_ID
