"""What it takes to hit a key result: activities that feed it, at the rate they converted so far."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.numbers import number

WEEK = timedelta(days=7)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Need:
    """The forecast for one pair; `more` and `per_week` are None when it cannot be projected."""

    text: str
    more: int | None = None
    per_week: int | None = None


def _number(value: float) -> str:
    return number(value)


def what_is_needed(facts: FeedFacts) -> Need:
    """Project the activity still needed to reach the target at the conversion seen so far."""
    target = f"{_number(facts.target)} {facts.unit}"
    if facts.remaining <= 0:
        return Need(f"Target of {target} reached: no more {facts.activity} needed for it.")
    if facts.now >= facts.cycle_end:
        return Need(
            f"The cycle has ended {_number(facts.remaining)} {facts.unit} short of {target}."
        )
    if facts.units_done <= 0:
        return Need(
            f"No {facts.activity} logged this cycle yet, so there is no rate to project from."
        )
    if facts.gained <= 0:
        return Need(
            f"{facts.units_done} {facts.activity} logged but no {facts.unit} yet, "
            "so there is no conversion rate to project from."
        )
    rate = facts.gained / facts.units_done
    more = math.ceil(facts.remaining / rate - 1e-9)
    weeks_left = (facts.cycle_end - facts.now) / WEEK
    if weeks_left <= 1:
        return Need(
            f"At your current rate, {more} more {facts.activity} — all in the final week — reach {target}.",
            more,
            more,
        )
    per_week = math.ceil(more / weeks_left - 1e-9)
    return Need(
        f"At your current rate, {more} more {facts.activity} — about {per_week} a week — reach {target}.",
        more,
        per_week,
    )
