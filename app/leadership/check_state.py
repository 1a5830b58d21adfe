"""What a statutory check says: its state (met, at risk, not met), its rule, the evidence and the date it
turns red."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class CheckState(enum.StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {CheckState.MET: "Met", CheckState.AT_RISK: "At risk", CheckState.NOT_MET: "Not met"}[self]

    @property
    def tag_class(self) -> str:
        return {
            CheckState.MET: "govuk-tag--green",
            CheckState.AT_RISK: "govuk-tag--yellow",
            CheckState.NOT_MET: "govuk-tag--red",
        }[self]


@dataclass(frozen=True)
class CountedPeople:
    """Some of the people a check counts ("overdue"), so that the count can lead to who they are for
    those allowed to see names, and be shown as "fewer than 3" for those who are not."""

    label: str
    people: tuple[tuple[int, str], ...]  # (user id, name), in name order

    @property
    def count(self) -> int:
        return len(self.people)


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    rule: str
    state: CheckState
    evidence: str
    red_on: date | None = None
    # The groups of people behind the evidence's counts, for the checks that count staff.
    counted: tuple[CountedPeople, ...] = ()


def rank(state: CheckState) -> int:
    return [CheckState.MET, CheckState.AT_RISK, CheckState.NOT_MET].index(state)
