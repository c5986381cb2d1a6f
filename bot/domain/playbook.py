"""A workspace's setup as declared in a playbook: plain data, no parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.integrations import Integration
from bot.domain.schedule_settings import Schedules


@dataclass(frozen=True)
class ActivitySpec:
    """One activity type in the catalog, and the key results it moves."""

    key: str
    name: str
    points: int
    daily_cap: int | None = None
    counts: str | None = None  # a KR ref: each unit logged adds 1 to that KR
    feeds: tuple[str, ...] = ()  # KR refs this activity is a leading indicator of


@dataclass(frozen=True)
class TeamSpec:
    """A team, its channel and people."""

    name: str
    channel: str | None = None
    managers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class CycleSpec:
    """A named OKR period, both dates included."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class KeyResultSpec:
    ref: str
    title: str
    kr_type: str
    owner: str | None
    start: float | None = None
    target: float | None = None
    unit: str = ""
    points: int = 0
    weight: float = 1.0
    milestones: tuple[str, ...] = ()
    current: float | None = None  # a value to start from (an import's), unless checked in
    external_id: str | None = None  # another OKR tool's id, for its next import


@dataclass(frozen=True)
class ObjectiveSpec:
    ref: str
    title: str
    level: str
    kind: str = "committed"
    team: str | None = None
    owner: str | None = None
    parent: str | None = None
    cycle: str | None = None
    key_results: tuple[KeyResultSpec, ...] = ()
    external_id: str | None = None  # another OKR tool's id, for its next import


DEFAULT_MAX_KR_POINTS = 10_000
DEFAULT_MAX_ACTIVITY_POINTS = 1_000
HIGHEST_POINT_LIMIT = 1_000_000  # how far a playbook's `limits` may raise either bound


@dataclass(frozen=True)
class PointLimits:
    """The most points a key result, and one unit of an activity, may be worth."""

    key_result: int = DEFAULT_MAX_KR_POINTS
    activity: int = DEFAULT_MAX_ACTIVITY_POINTS


@dataclass(frozen=True)
class Playbook:
    """A workspace's setup. None for a section means 'leave as it is'."""

    workspace: str
    timezone: str | None = None
    activities: tuple[ActivitySpec, ...] | None = None
    teams: tuple[TeamSpec, ...] | None = None
    admins: tuple[str, ...] | None = None
    cycles: tuple[CycleSpec, ...] | None = None
    objectives: tuple[ObjectiveSpec, ...] | None = None
    checkin_points: int | None = None
    holidays: tuple[date, ...] | None = None
    schedules: Schedules | None = None
    limits: PointLimits | None = None
    integrations: tuple[Integration, ...] | None = None


MAX_ACTIVITY_NAME = 80
MAX_TEAM_NAME = 80
MAX_CYCLE_NAME = 40

STARTER_CATALOG = (
    ActivitySpec("call", "Call", 1),
    ActivitySpec("email", "Email", 1),
    ActivitySpec("meeting", "Meeting", 3),
    ActivitySpec("demo", "Demo", 5),
    ActivitySpec("proposal", "Proposal", 10),
)
