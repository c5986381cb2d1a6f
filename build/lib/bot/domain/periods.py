"""Calendar periods (day, ISO week, month, quarter) in a workspace's timezone."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class PeriodKind(enum.StrEnum):
    """The periods a leaderboard or a total can cover."""

    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    CYCLE = "cycle"  # the current OKR cycle: a leaderboard season


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) in UTC plus a label for people."""

    kind: PeriodKind
    start: datetime
    end: datetime
    label: str


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone `name`; raises ValueError with a readable message if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name such as Europe/Berlin)"
        ) from exc


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware `moment` in `tz`."""
    return moment.astimezone(tz).date()


def _first_day(kind: PeriodKind, today: date) -> date:
    if kind is PeriodKind.TODAY:
        return today
    if kind is PeriodKind.WEEK:
        return today - timedelta(days=today.weekday())
    if kind is PeriodKind.MONTH:
        return today.replace(day=1)
    return today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)


def _next_first_day(kind: PeriodKind, first: date) -> date:
    if kind is PeriodKind.TODAY:
        return first + timedelta(days=1)
    if kind is PeriodKind.WEEK:
        return first + timedelta(days=7)
    months = 1 if kind is PeriodKind.MONTH else 3
    month_index = first.month - 1 + months
    return date(first.year + month_index // 12, month_index % 12 + 1, 1)


def _label(kind: PeriodKind, first: date) -> str:
    if kind is PeriodKind.TODAY:
        return first.strftime("%a %d %b %Y")
    if kind is PeriodKind.WEEK:
        return day_range_label(first, first + timedelta(days=6))
    if kind is PeriodKind.MONTH:
        return first.strftime("%B %Y")
    return f"{first.year}-Q{(first.month - 1) // 3 + 1}"


def period_containing(kind: PeriodKind, moment: datetime, tz: ZoneInfo) -> Period:
    """The period of `kind` that contains the aware `moment`, with boundaries in `tz`."""
    if kind is PeriodKind.CYCLE:
        raise ValueError("OKR cycles are stored per workspace, not computed from the calendar")
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    first = _first_day(kind, local_date(moment, tz))
    following = _next_first_day(kind, first)
    return Period(
        kind=kind,
        start=local_midnight(first, tz),
        end=local_midnight(following, tz),
        label=_label(kind, first),
    )


def day_range_label(first: date, last: date) -> str:
    """`Mon 16 – Sun 22 Nov`, `Mon 30 Nov – Sun 6 Dec`, `Mon 28 Dec 2026 – Sun 3 Jan 2027`."""
    if first.year != last.year:
        return f"{first:%a} {first.day} {first:%b %Y} – {last:%a} {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b}"
    return f"{first:%a} {first.day} – {last:%a} {last.day} {last:%b}"


def period_days_label(period: Period, tz: ZoneInfo) -> str:
    """The calendar days a period covers, as `day_range_label` writes them."""
    last = local_date(period.end, tz) - timedelta(days=1)
    return day_range_label(local_date(period.start, tz), last)
