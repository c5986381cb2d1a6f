"""A workspace's setup as declared in a playbook: plain data, no parsing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.domain.integrations import Integration
from bot.domain.schedule_settings import Schedules


@dataclass(frozen=True, kw_only=True)
class ActivitySpec:
    """One activity type in the catalog, and the key results it moves."""

    key: str
    name: str
    points: int
    daily_cap: int | None = None
    counts: str | None = None  # a KR ref: each unit logged adds 1 to that KR
    feeds: tuple[str, ...] = ()  # KR refs this activity is a leading indicator of


@dataclass(frozen=True, kw_only=True)
class TeamSpec:
    """A team, its channel and people."""

    name: str
    channel: str | None = None
    managers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    usergroup: str | None = None  # a Slack user group (S… id or @handle) the members come from


@dataclass(frozen=True)
class CycleSpec:
    """A named OKR period, both dates included."""

    name: str
    start: date
    end: date


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
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
    # Where the file names a person by email or a team by user group, for problems that say
    # where: (the value as written, `playbook.yaml:12: teams[0].members[1]`).
    named: tuple[tuple[str, str], ...] = ()

    def emails(self) -> list[str]:
        """Every email that names a person, once each, in the file's order."""
        return list(dict.fromkeys(value for value, _where in self.named if "@" in value[1:]))

    def usergroups(self) -> list[str]:
        """Every user group a team names, once each."""
        return [team.usergroup for team in self.teams or () if team.usergroup]

    def where(self, value: str) -> list[str]:
        """The places the file names `value`."""
        return [where for named, where in self.named if named == value]

    def with_people(
        self, ids: dict[str, str], groups: dict[str, tuple[str, tuple[str, ...]]]
    ) -> Playbook:
        """This playbook with each email replaced by the user id `ids` gives it, and each team
        of a user group holding its members (by `groups`: the group's id and members)."""

        def person(value: str) -> str:
            return ids.get(value, value)

        def people(values: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(person(v) for v in values))

        teams = None
        if self.teams is not None:
            teams = []
            for team in self.teams:
                members = people(team.members)
                usergroup = team.usergroup
                if usergroup is not None and usergroup in groups:
                    usergroup, members = groups[usergroup]  # a team of a group has only its own
                teams.append(
                    replace(
                        team, managers=people(team.managers), members=members, usergroup=usergroup
                    )
                )
        objectives = None
        if self.objectives is not None:
            objectives = tuple(
                replace(
                    o,
                    owner=person(o.owner) if o.owner else None,
                    key_results=tuple(
                        replace(kr, owner=person(kr.owner) if kr.owner else None)
                        for kr in o.key_results
                    ),
                )
                for o in self.objectives
            )
        return replace(
            self,
            admins=people(self.admins) if self.admins is not None else None,
            teams=tuple(teams) if teams is not None else None,
            objectives=objectives,
            named=(),
        )


MAX_ACTIVITY_NAME = 80
MAX_TEAM_NAME = 80
MAX_CYCLE_NAME = 40

STARTER_CATALOG = (
    ActivitySpec(key="call", name="Call", points=1),
    ActivitySpec(key="email", name="Email", points=1),
    ActivitySpec(key="meeting", name="Meeting", points=3),
    ActivitySpec(key="demo", name="Demo", points=5),
    ActivitySpec(key="proposal", name="Proposal", points=10),
)
