"""Scheduled messages as plain data; the outbox at the edge renders and sends them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain.okrs import Status


@dataclass(frozen=True)
class Nudge:
    """16:00 on a working day with nothing logged: the streak at stake and one-click logging."""

    user: str
    streak: int
    activities: list[tuple[str, str, int]]  # (key, name, points), the member's most used


@dataclass(frozen=True)
class CheckinReminder:
    user: str
    key_results: list[tuple[str, str]]  # (ref, title) not checked in this week


@dataclass(frozen=True)
class DigestKR:
    ref: str
    title: str
    owner: str
    progress: float
    progress_week_ago: float
    status: Status
    stale: bool
    confidence: str


@dataclass(frozen=True)
class RepWeek:
    user: str
    this_week: int
    last_week: int


@dataclass(frozen=True)
class ChartSeries:
    label: str
    points: list[tuple[datetime, float]]  # progress over time: 1.0 is the target


@dataclass(frozen=True)
class Chart:
    title: str
    start: datetime
    end: datetime
    now: datetime
    series: list[ChartSeries]


@dataclass(frozen=True)
class Digest:
    """The weekly summary of a team: for its manager (`manager` set, with people) or its channel."""

    team: str
    week: str
    cycle: str
    expected: float
    key_results: list[DigestKR]
    needs: list[str]
    chart: Chart | None
    manager: str | None = None
    channel: str | None = None
    reps: list[RepWeek] = field(default_factory=list)
    inactive: list[str] = field(default_factory=list)
    movers: list[tuple[str, int]] = field(default_factory=list)
    team_points: tuple[int, int] = (0, 0)  # activity points this week, last week
    app_id: str | None = None
    workspace: str = ""


@dataclass(frozen=True)
class BoardRow:
    user: str
    rank: int
    activity: int
    result: int


@dataclass(frozen=True)
class LeaderboardPost:
    channel: str
    team: str
    week: str
    rows: list[BoardRow]
    climber: tuple[str, int, int] | None  # user, rank last week, rank now
    streaks: list[tuple[str, int]]
    last_cheers: int | None


@dataclass(frozen=True)
class ManagerNudge:
    """A manager's Nudge button: a DM to an inactive rep."""

    user: str
    manager: str


Scheduled = Nudge | CheckinReminder | Digest | LeaderboardPost | ManagerNudge


@dataclass(frozen=True)
class Delivery:
    channel: str
    ts: str


class DeliveryError(Exception):
    """Sending failed; `retry` tells whether trying again later may work."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Outbox(Protocol):
    """Where scheduled messages go (Slack, in production)."""

    def deliver(self, message: Scheduled) -> Delivery: ...
