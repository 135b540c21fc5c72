"""Deadline warnings of collection periods: past their deadline, or within a week of it, while open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

NEAR_DAYS = 7  # an open period this close to its deadline is flagged


@dataclass(frozen=True)
class Deadline:
    state: Literal["late", "near"]
    days: int  # days past the deadline (late) or left before it (near; 0 is the last day)
    closes_on: dt.date


def deadline(state: str, closes_on: dt.date, today: dt.date) -> Deadline | None:
    """The warning of a period in `state` that closes on `closes_on`, judged on `today`; None if none."""
    if state != "open":
        return None
    left = (closes_on - today).days
    if left < 0:
        return Deadline("late", -left, closes_on)
    if left <= NEAR_DAYS:
        return Deadline("near", left, closes_on)
    return None
