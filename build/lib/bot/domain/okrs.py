"""OKR rules: objective roll-up, pace status, confidence trend (progress by type: kr_types)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.kr_types import KRType as KRType
from bot.domain.kr_types import Measure as Measure
from bot.domain.kr_types import check_span as check_span
from bot.domain.kr_types import raw_progress as raw_progress
from bot.domain.kr_types import score as score

STALE_AFTER = timedelta(days=14)
ON_TRACK_RATIO = 0.95
AT_RISK_RATIO = 0.75
MAX_TITLE = 150
MAX_KEY_RESULTS = 5
MAX_MILESTONES = 10  # a check-in ticks them in one checkbox group, which holds 10
MAX_MILESTONE_NAME = 75  # each is a checkbox label
MAX_UNIT = 30


class Level(enum.StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSONAL = "personal"


class Kind(enum.StrEnum):
    COMMITTED = "committed"
    ASPIRATIONAL = "aspirational"


class Status(enum.IntEnum):
    """Pace status, ordered from best to worst so the worst of several is `max`. A key result
    too new to judge (TOO_EARLY) has none yet, and gives way to any real status."""

    TOO_EARLY = -1
    ON_TRACK = 0
    AT_RISK = 1
    OFF_TRACK = 2

    @property
    def label(self) -> str:
        """`on track`, `at risk`, `off track`, `no status yet`."""
        if self is Status.TOO_EARLY:
            return "no status yet"
        return self.name.lower().replace("_", " ")


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


TOO_EARLY_SHARE = 0.1  # of the cycle: no status before this much of it, or a check-in


def kr_status(
    progress: float,
    cycle: tuple[datetime, datetime],
    created: datetime,
    now: datetime,
    *,
    checked_in: bool,
) -> Status:
    """A key result's pace status at `now`; TOO_EARLY while it is younger than a tenth of
    its cycle and has no check-in (unless it is on track already)."""
    start, end = cycle
    expected = elapsed_fraction(start, end, now)
    status = pace_status(progress, expected)
    young = now - max(created, start) < (end - start) * TOO_EARLY_SHARE
    if young and not checked_in and status is not Status.ON_TRACK:
        return Status.TOO_EARLY
    return status


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
    """An objective's status: its worst key result's (none yet without key results)."""
    return max(statuses, default=Status.TOO_EARLY)
