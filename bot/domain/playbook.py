"""A workspace's setup as declared in a playbook: plain data, no parsing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActivitySpec:
    """One activity type in the catalog."""

    key: str
    name: str
    points: int
    daily_cap: int | None = None


@dataclass(frozen=True)
class TeamSpec:
    """A team, its channel and people."""

    name: str
    channel: str | None = None
    managers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Playbook:
    """A workspace's setup. None for a section means 'leave as it is'."""

    workspace: str
    timezone: str | None = None
    activities: tuple[ActivitySpec, ...] | None = None
    teams: tuple[TeamSpec, ...] | None = None
    admins: tuple[str, ...] | None = None


STARTER_CATALOG = (
    ActivitySpec("call", "Call", 1),
    ActivitySpec("email", "Email", 1),
    ActivitySpec("meeting", "Meeting", 3),
    ActivitySpec("demo", "Demo", 5),
    ActivitySpec("proposal", "Proposal", 10),
)
