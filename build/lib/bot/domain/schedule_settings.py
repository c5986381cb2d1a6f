"""How a workspace changes its jobs' default schedules, and each team's change on top."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from bot.domain.schedule import DEFAULTS, WEEKDAYS, Job, JobSchedule


@dataclass(frozen=True)
class ScheduleChange:
    """A change to a job's default schedule; a field left None keeps what it changes."""

    at: time | None = None
    days: tuple[int, ...] | None = None  # weekday numbers, Monday 0
    enabled: bool | None = None

    def apply(self, base: JobSchedule) -> JobSchedule:
        """`base` with this change made."""
        return JobSchedule(
            base.at if self.at is None else self.at,
            base.days if self.days is None else frozenset(self.days),
            base.enabled if self.enabled is None else self.enabled,
        )

    def to_json(self) -> dict[str, object]:
        """As stored with the workspace: `at` as HH:MM, days by their short names."""
        found: dict[str, object] = {}
        if self.at is not None:
            found["at"] = self.at.strftime("%H:%M")
        if self.days is not None:
            found["days"] = [WEEKDAYS[day] for day in self.days]
        if self.enabled is not None:
            found["enabled"] = self.enabled
        return found

    @classmethod
    def from_json(cls, stored: object) -> ScheduleChange:
        """Read what `to_json` wrote; anything else keeps the default."""
        if not isinstance(stored, dict):
            return cls()
        at, days, enabled = stored.get("at"), stored.get("days"), stored.get("enabled")
        return cls(
            time.fromisoformat(at) if isinstance(at, str) else None,
            tuple(WEEKDAYS.index(d) for d in days if d in WEEKDAYS)
            if isinstance(days, list)
            else None,
            enabled if isinstance(enabled, bool) else None,
        )


@dataclass(frozen=True)
class JobSettings:
    """A workspace's change to one job, and each team's change on top of it."""

    change: ScheduleChange = ScheduleChange()
    teams: Mapping[str, ScheduleChange] | None = None


Schedules = Mapping[Job, JobSettings]


def schedules_to_json(schedules: Schedules) -> dict[str, dict[str, object]]:
    """As stored with the workspace, keyed by the job's name."""
    stored: dict[str, dict[str, object]] = {}
    for job, settings in schedules.items():
        stored[job.value] = settings.change.to_json()
        if settings.teams is not None:
            stored[job.value]["teams"] = {
                team: change.to_json() for team, change in settings.teams.items()
            }
    return stored


def schedules_from_json(stored: object) -> dict[Job, JobSettings]:
    """Read what `schedules_to_json` wrote; unknown jobs are ignored."""
    found: dict[Job, JobSettings] = {}
    for name, value in (stored if isinstance(stored, dict) else {}).items():
        if name not in {job.value for job in Job} or not isinstance(value, dict):
            continue
        teams = value.get("teams")
        found[Job(name)] = JobSettings(
            ScheduleChange.from_json(value),
            {str(team): ScheduleChange.from_json(change) for team, change in teams.items()}
            if isinstance(teams, dict)
            else None,
        )
    return found


def schedule_for(job: Job, schedules: Schedules, team: str | None = None) -> JobSchedule:
    """The job's schedule: the default, then the workspace's change, then the team's."""
    settings = schedules.get(job)
    if settings is None:
        return DEFAULTS[job]
    schedule = settings.change.apply(DEFAULTS[job])
    if team is not None and settings.teams is not None and team in settings.teams:
        schedule = settings.teams[team].apply(schedule)
    return schedule
