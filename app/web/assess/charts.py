"""The trend chart's geometry: agreed ratings per question over rounds, drawn as plain SVG on the server.

No script draws it and no style attribute colours it (the Content Security Policy allows neither):
the template writes SVG presentation attributes from these numbers. The table beside the chart holds
the same figures for anyone who cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.self_assessment.models import RatingLevel
from app.self_assessment.trends import SetTrend

WIDTH = 640
HEIGHT = 260
LEFT = 150  # room for the level names
RIGHT = 50  # room for the question labels at the end of each line
TOP = 20
BOTTOM = 50  # room for the round dates
INSET = 40  # space between the level names and the first round, and after the last
LABEL_SPACING = 14
# Lines of questions rated alike are drawn this far apart, so each stays visible where they run together.
NUDGE = 6

# Colours with at least 3:1 contrast on white, and a dash pattern and a marker shape each, so lines
# differ without colour (WCAG 1.4.1): the key under the chart shows each line's pattern and shape.
LINE_STYLES = [
    ("#1d70b8", "", "circle"),
    ("#d4351c", "8 4", "square"),
    ("#00703c", "2 4", "triangle"),
    ("#4c2c92", "12 4 2 4", "diamond"),
    ("#b58840", "6 6", "circle"),
    ("#505a5f", "1 3", "square"),
]


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    dashes: str
    points: list[Point]
    # Where the line's label goes: after its last point, stacked apart from labels ending at the same place.
    label_at: Point | None
    # The question's own words, for the key under the chart.
    question: str = ""
    marker: str = "circle"

    @property
    def path(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


@dataclass(frozen=True)
class Tick:
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    top: int
    bottom_edge: int
    levels: list[Tick]
    rounds: list[Tick]
    lines: list[Line]


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT - 2 * INSET
    if count == 1:
        return LEFT + INSET + span / 2
    return LEFT + INSET + span * index / (count - 1)


def _y(level: RatingLevel) -> float:
    span = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - span * (level.score - 1) / (len(RatingLevel) - 1)


def trend_chart(trend: SetTrend) -> Chart:
    """Where every point, line and label of one set's chart goes."""
    count = len(trend.rounds)
    levels = [Tick(level.label, LEFT - 10, _y(level)) for level in RatingLevel]
    rounds = [Tick(f"{r.opened_at:%b %Y}", _x(i, count), HEIGHT - BOTTOM + 30) for i, r in enumerate(trend.rounds)]
    lines = []
    labels_ending_at: dict[tuple[int, RatingLevel], int] = {}
    for number, row in enumerate(trend.rows, start=1):
        colour, dashes, marker = LINE_STYLES[(number - 1) % len(LINE_STYLES)]
        # Lines a few pixels apart, so that two questions rated alike both show.
        nudge = (number - (len(trend.rows) + 1) / 2) * NUDGE
        rated = [(index, rating) for index, rating in enumerate(row.ratings) if rating is not None]
        points = [Point(_x(index, count), _y(rating) + nudge) for index, rating in rated]
        label_at = None
        if rated:
            end = rated[-1]
            stacked = labels_ending_at.get(end, 0)
            labels_ending_at[end] = stacked + 1
            label_at = Point(_x(end[0], count) + 10, _y(end[1]) + 5 + LABEL_SPACING * stacked)
        lines.append(Line(f"Q{number}", colour, dashes, points, label_at, row.text, marker))
    return Chart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, levels, rounds, lines)
