"""Streaks: consecutive working days (Monday to Friday) with at least one activity."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

WEEKEND = frozenset({5, 6})


def _previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() in WEEKEND:
        day -= timedelta(days=1)
    return day


def working_day_streak(active_days: Collection[date], today: date) -> int:
    """Count the working days in a row, ending today or on the last working day, with activity.

    A day that has not ended yet does not break the streak: with nothing logged so far today,
    the streak still counts up to the previous working day. Weekend activity neither breaks
    nor extends it.
    """
    day = today
    if day.weekday() in WEEKEND or day not in active_days:
        day = _previous_working_day(day)
    streak = 0
    while day in active_days:
        streak += 1
        day = _previous_working_day(day)
    return streak
