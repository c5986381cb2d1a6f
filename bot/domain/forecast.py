"""What it takes to hit a key result: activities that feed it, at the rate they converted so far."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

WEEK = timedelta(days=7)


@dataclass(frozen=True, kw_only=True)
class FeedFacts:
    """One (activity, key result) pair in the current cycle."""

    activity: str  # plural, for people: "demos"
    unit: str  # the key result's unit: "deals"
    units_done: int  # activity units logged in the cycle so far
    gained: float  # key-result progress since the cycle started, in its own units
    remaining: float  # what is still missing to the target, in its own units
    target: float
    cycle_end: datetime
    now: datetime


class Outlook(enum.Enum):
    """Where a key result stands against the activity that feeds it."""

    REACHED = "reached"  # the target is met
    ENDED_SHORT = "ended short"  # the cycle ended before it was met
    NO_ACTIVITY = "no activity"  # nothing logged yet: no rate to project from
    NO_CONVERSION = "no conversion"  # activity logged, but the key result has not moved
    FINAL_WEEK = "final week"  # projectable, with a week or less to go
    ON_A_WEEKLY_PACE = "weekly pace"  # projectable, spread over the weeks left


@dataclass(frozen=True)
class Need:
    """The forecast for one pair; `more` and `per_week` are None when it cannot be projected."""

    outlook: Outlook
    facts: FeedFacts
    more: int | None = None
    per_week: int | None = None


def what_is_needed(facts: FeedFacts) -> Need:
    """Project the activity still needed to reach the target at the conversion seen so far."""
    if facts.remaining <= 0:
        return Need(Outlook.REACHED, facts)
    if facts.now >= facts.cycle_end:
        return Need(Outlook.ENDED_SHORT, facts)
    if facts.units_done <= 0:
        return Need(Outlook.NO_ACTIVITY, facts)
    if facts.gained <= 0:
        return Need(Outlook.NO_CONVERSION, facts)
    rate = facts.gained / facts.units_done
    more = math.ceil(facts.remaining / rate - 1e-9)
    weeks_left = (facts.cycle_end - facts.now) / WEEK
    if weeks_left <= 1:
        return Need(Outlook.FINAL_WEEK, facts, more, more)
    per_week = math.ceil(more / weeks_left - 1e-9)
    return Need(Outlook.ON_A_WEEKLY_PACE, facts, more, per_week)
