"""Small-number suppression: where people are counted but not named, a count of 1 or 2 is shown as
"fewer than 3", because a reader who knows the school could tell who those one or two people are
("SENCO: 1 of 1 completed" is one named person's record).

The one rule, used by every page, CSV and PDF that counts people without naming them (the officer's
comparison, the board report, the quiz results):

- a count of people below SMALL_NUMBER_THRESHOLD, other than 0, reads "fewer than 3";
- a share of a group (a percentage, "n of m") is not given at all when the group itself is below the
  threshold, since any figure about a group of one or two describes those people;
- 0 is shown as 0: "nobody" picks no one out of a group of 3 or more.

It does not do secondary suppression (working a hidden cell out from a total and the other cells):
the figures shown are a handful per school, and each group's total is itself suppressed when small.
"""

from __future__ import annotations

SMALL_NUMBER_THRESHOLD = 3
FEWER_THAN = f"fewer than {SMALL_NUMBER_THRESHOLD}"


def is_small(count: int) -> bool:
    """Whether a count of people is too small to show: 1 or 2."""
    return 0 < count < SMALL_NUMBER_THRESHOLD


def people_count(count: int) -> str:
    """A count of people as it may be shown: "fewer than 3" for 1 or 2, otherwise the number."""
    return FEWER_THAN if is_small(count) else str(count)


def share_of_people(part: int, whole: int) -> str:
    """ "part of whole" for a group of people, or why it is not shown when the group is small."""
    if is_small(whole):
        return f"not shown: {FEWER_THAN} people"
    return f"{people_count(part)} of {whole}"


def percent_of_people(part: int, whole: int) -> int | None:
    """The percentage, or None when the group is too small to give one (or empty)."""
    if whole == 0 or is_small(whole):
        return None
    return round(100 * part / whole)
