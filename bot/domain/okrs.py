"""OKR rules: key-result progress by type, objective roll-up, pace status, confidence trend."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.numbers import percent

STALE_AFTER = timedelta(days=14)
ON_TRACK_RATIO = 0.95
AT_RISK_RATIO = 0.75
MAX_TITLE = 150
MAX_KEY_RESULTS = 5
MAX_MILESTONES = 10  # a check-in ticks them in one checkbox group, which holds 10
MAX_MILESTONE_NAME = 75  # each is a checkbox label
MAX_UNIT = 30


class KRType(enum.StrEnum):
    """How a key result is measured."""

    INCREASE_TO = "increase_to"
    DECREASE_TO = "decrease_to"
    STAY_ABOVE = "stay_above"
    STAY_BELOW = "stay_below"
    BOOLEAN = "boolean"
    MILESTONES = "milestones"

    @property
    def numeric(self) -> bool:
        """True for types measured by a number moving from start to target."""
        return self in (KRType.INCREASE_TO, KRType.DECREASE_TO)


class Level(enum.StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSONAL = "personal"


class Kind(enum.StrEnum):
    COMMITTED = "committed"
    ASPIRATIONAL = "aspirational"


class Status(enum.IntEnum):
    """Pace status, ordered from best to worst so the worst of several is `max`."""

    ON_TRACK = 0
    AT_RISK = 1
    OFF_TRACK = 2

    @property
    def label(self) -> str:
        """`on track`, `at risk`, `off track`."""
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True)
class Measure:
    """What progress needs to know about a key result."""

    kr_type: KRType
    start: float
    target: float
    current: float | None
    milestones_done: int = 0
    milestones_total: int = 0


def raw_progress(measure: Measure) -> float:
    """Progress as shown, unclamped for numeric types (1.2 means 120%); always finite."""
    progress = _raw_progress(measure)
    return progress if math.isfinite(progress) else 0.0


def _raw_progress(measure: Measure) -> float:
    kr_type, current = measure.kr_type, measure.current
    if not all(math.isfinite(v) for v in (measure.start, measure.target, current or 0.0)):
        return 0.0
    if kr_type is KRType.MILESTONES:
        return (
            measure.milestones_done / measure.milestones_total if measure.milestones_total else 0.0
        )
    if current is None:
        return 0.0
    if kr_type.numeric:
        span = measure.target - measure.start
        return (current - measure.start) / span if span else 0.0
    if kr_type is KRType.STAY_ABOVE:
        return 1.0 if current >= measure.target else 0.0
    if kr_type is KRType.STAY_BELOW:
        return 1.0 if current <= measure.target else 0.0
    return 1.0 if current >= 1 else 0.0


def score(measure: Measure) -> float:
    """Progress clamped to [0, 1]: over-achievement is shown but scores 1.0."""
    return min(1.0, max(0.0, raw_progress(measure)))


def check_span(kr_type: KRType, start: float | None, target: float | None) -> str | None:
    """A message when a numeric key result's start and target make no sense, else None."""
    if kr_type in (KRType.BOOLEAN, KRType.MILESTONES):
        return None
    if not kr_type.numeric:
        return None if target is not None else "a threshold (target) is required"
    if start is None or target is None:
        return "start and target are required"
    if start == target:
        return "the target must differ from the start"
    if kr_type is KRType.INCREASE_TO and target < start:
        return "for increase_to the target must be above the start (use decrease_to)"
    if kr_type is KRType.DECREASE_TO and target > start:
        return "for decrease_to the target must be below the start (use increase_to)"
    return None


def rollup(scores: Sequence[tuple[float, float]]) -> float:
    """Weighted mean of (score, weight) pairs; 0 when there is nothing to weigh."""
    total_weight = sum(weight for _score, weight in scores)
    if total_weight <= 0:
        return 0.0
    return sum(value * weight for value, weight in scores) / total_weight


def elapsed_fraction(start: datetime, end: datetime, now: datetime) -> float:
    """How much of [start, end) has passed at `now`, in [0, 1]."""
    if end <= start:
        return 1.0
    return min(1.0, max(0.0, (now - start) / (end - start)))


def pace_status(progress: float, expected: float) -> Status:
    """On track from 95% of the expected progress, at risk from 75%, off track below."""
    if progress >= ON_TRACK_RATIO * expected:
        return Status.ON_TRACK
    if progress >= AT_RISK_RATIO * expected:
        return Status.AT_RISK
    return Status.OFF_TRACK


def is_stale(last_checkin: datetime | None, created: datetime, now: datetime) -> bool:
    """No check-in (or, lacking any, no creation) within the last 14 days."""
    return now - (last_checkin or created) > STALE_AFTER


def worst(statuses: Sequence[Status]) -> Status:
    """An objective's status: its worst key result's."""
    return max(statuses, default=Status.ON_TRACK)


def confidence_trend(confidences: Sequence[int]) -> str:
    """`7 ↑` style: the latest confidence and its direction since the previous check-in."""
    if not confidences:
        return "no confidence yet"
    latest = confidences[-1]
    if len(confidences) == 1:
        return f"{latest}/10"
    previous = confidences[-2]
    arrow = "↑" if latest > previous else "↓" if latest < previous else "→"
    return f"{latest}/10 {arrow} (was {previous})"


def progress_bar(progress: float, width: int = 10) -> str:
    """A text bar for Slack: `▓▓▓▓░░░░░░ 40%` (over 100% shown, bar full)."""
    if not math.isfinite(progress):
        return "░" * width + " " + percent(progress)
    filled = round(min(1.0, max(0.0, progress)) * width)
    return "▓" * filled + "░" * (width - filled) + " " + percent(progress)
