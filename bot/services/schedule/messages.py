"""Scheduled messages as plain data; the outbox at the edge renders and sends them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, assert_never

from bot.domain.forecast import Need
from bot.domain.okrs import Status
from bot.domain.ranking import Standing


@dataclass(frozen=True)
class Nudge:
    """16:00 on a working day with nothing logged: the streak at stake and one-click logging."""

    user: str
    streak: int
    activities: list[tuple[str, str, int]]  # (key, name, points), the member's most used
    today: date | None = None  # the member's own date, which dates the pause example


@dataclass(frozen=True)
class CheckinReminder:
    user: str
    key_results: list[tuple[str, str]]  # (ref, title) not checked in this week


@dataclass(frozen=True, kw_only=True)
class DigestKR:
    """A key result as it moved over the digest's period."""

    ref: str
    title: str
    owner: str
    progress: float  # at the end of the period
    progress_before: float  # at its start
    status: Status
    stale: bool
    confidences: tuple[int, ...]  # at each check-in, oldest first; empty: never checked in
    unit: str = ""
    value_change: float | None = None  # for numeric key results: how far the value moved


@dataclass(frozen=True, kw_only=True)
class DigestObjective:
    """A team objective with its key results; `status` is its worst key result's."""

    ref: str
    title: str
    progress: float
    status: Status
    key_results: list[DigestKR]


@dataclass(frozen=True)
class RepWeek:
    user: str
    this_week: int
    last_week: int


@dataclass(frozen=True)
class ChartSeries:
    label: str
    points: list[tuple[datetime, float]]  # progress over time: 1.0 is the target


@dataclass(frozen=True, kw_only=True)
class Chart:
    title: str
    start: datetime
    end: datetime
    now: datetime
    series: list[ChartSeries]


@dataclass(frozen=True, kw_only=True)
class Digest:
    """The weekly summary of a team: for its manager (`manager` set, with people) or its channel."""

    team: str
    period: str  # the days it covers: "Mon 16 – Sun 22 Nov"
    cycle: str
    expected: float
    objectives: list[DigestObjective]
    needs: list[tuple[str, Need]]  # a key result's ref, and what it needs
    chart: Chart | None
    manager: str | None = None
    channel: str | None = None
    reps: list[RepWeek] = field(default_factory=list)
    inactive: list[str] = field(default_factory=list)
    movers: list[tuple[str, int]] = field(default_factory=list)
    team_points: tuple[int, int] = (0, 0)  # activity points in the period, the week before
    app_id: str | None = None
    workspace: str = ""
    names: dict[str, str] = field(default_factory=dict)  # user id -> name, where known
    built_at: datetime | None = None
    period_over: bool = True  # False when sent before the period ended (`jobs run` mid-week)

    @property
    def key_results(self) -> list[DigestKR]:
        return [kr for objective in self.objectives for kr in objective.key_results]


@dataclass(frozen=True, kw_only=True)
class LeaderboardPost:
    channel: str
    team: str
    week: str
    rows: list[Standing]
    climber: tuple[str, int | None, int] | None  # user, rank last week (None: unranked), now
    streaks: list[tuple[str, int]]
    last_cheers: int | None
    idle: int = 0  # members with no points this week


@dataclass(frozen=True)
class ManagerNudge:
    """A manager's Nudge button: a DM to an inactive rep."""

    user: str
    manager: str


@dataclass(frozen=True, kw_only=True)
class AssignmentInvite:
    """A DM asking `user` to accept a key result someone else made them the owner of."""

    user: str
    ref: str
    title: str
    objective: str  # "O3 · Win the East coast"
    assigned_by: str
    points: int


@dataclass(frozen=True, kw_only=True)
class ApprovalRequest:
    """A DM asking a manager (or admin) to approve the points of `owner`'s key result."""

    user: str
    ref: str
    title: str
    objective: str  # "O3 · Win the East coast"
    owner: str
    points: int


Scheduled = (
    Nudge
    | CheckinReminder
    | Digest
    | LeaderboardPost
    | ManagerNudge
    | AssignmentInvite
    | ApprovalRequest
)


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

    def deliver(self, workspace: str, message: Scheduled, key: str) -> Delivery:
        """Send `message` in `workspace`, tagged with its send `key` so it can be found again."""
        ...

    def find(
        self, workspace: str, message: Scheduled, key: str, since: datetime
    ) -> Delivery | None:
        """The message tagged `key` already in its conversation (sent since `since`), if any;
        DeliveryError when that cannot be told."""
        ...


Render = Callable[[Scheduled], dict[str, Any]]
"""Turns a scheduled message into Slack's `text` and `blocks` (given by the composition root)."""


def destination(message: Scheduled) -> tuple[str, bool]:
    """Where a message goes: (channel or user id, whether it is a person's DM with okrbot)."""
    match message:
        case LeaderboardPost():
            return message.channel, False
        case Digest() if message.manager is None:
            assert message.channel is not None
            return message.channel, False
        case Digest():
            assert message.manager is not None
            return message.manager, True
        case Nudge() | CheckinReminder() | ManagerNudge() | AssignmentInvite() | ApprovalRequest():
            return message.user, True
        case _:
            assert_never(message)
