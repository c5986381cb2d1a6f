"""What a `/log` or an Undo did, and the member's standing right after it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TeamRank:
    """Where the member stands this week: in their team, or in the workspace (team None)."""

    team: str | None
    rank: int
    size: int


@dataclass(frozen=True, kw_only=True)
class MovedKR:
    """A key result a logged activity counts toward, as it stands after the log."""

    ref: str
    title: str
    current: float
    target: float | None
    unit: str
    progress: float


@dataclass(frozen=True, kw_only=True)
class LogResult:
    """What a `/log` did, and the member's standing right after it."""

    log_id: int
    user_id: str
    activity: str
    quantity: int
    points: int
    units_over_cap: int
    daily_cap: int | None
    note: str
    today_points: int
    week_points: int
    rank: TeamRank | None
    undone: bool = False
    moved: tuple[MovedKR, ...] = ()  # key results this log counted toward
    understood: str | None = None  # what the member typed for the activity, when not exact


@dataclass(frozen=True)
class UndoResult:
    """The entry after an undo; `already_undone` when an earlier undo had reversed it."""

    log: LogResult
    points_reversed: int
    already_undone: bool
    results_taken_back: list[tuple[str, int]] = field(default_factory=list)  # (KR ref, points)
