"""When scheduled messages are due: local times, weekdays, holidays, grace windows, keys."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKWEEK = frozenset(range(5))
DEFAULT_GRACE = timedelta(hours=6)
# A send's status: planned, then claimed by a sender, then one of the last three.
PENDING, CLAIMED, SENT, SKIPPED, FAILED = "pending", "claimed", "sent", "skipped", "failed"


class Job(enum.StrEnum):
    """The scheduled jobs, by the names the CLI and playbook use."""

    ACTIVITY_NUDGE = "activity-nudge"
    CHECKIN_REMINDER = "checkin-reminder"
    MANAGER_DIGEST = "manager-digest"
    TEAM_DIGEST = "team-digest"
    LEADERBOARD_POST = "leaderboard-post"


@dataclass(frozen=True)
class JobSchedule:
    """A local time on some weekdays; `enabled` False switches the job off."""

    at: time
    days: frozenset[int]
    enabled: bool = True

    def describe(self) -> str:
        """Such as `16:00 mon-fri`."""
        days = ",".join(WEEKDAYS[d] for d in sorted(self.days))
        if self.days == WORKWEEK:
            days = "mon-fri"
        return f"{self.at.strftime('%H:%M')} {days}" + ("" if self.enabled else " (off)")


class Audience(enum.Enum):
    """Who a job reaches."""

    REPS = "reps"  # members of a team, in their own timezone
    KR_OWNERS = "key-result owners"  # owners of open key results, in their own timezone
    MANAGERS = "managers"  # once per team they manage, in their own timezone
    TEAM_CHANNELS = "team channels"  # in the workspace's timezone


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """Everything about a scheduled job that is not how its message is built or drawn."""

    job: Job
    default: JobSchedule
    audience: Audience
    weekly: bool  # sent once a week (keyed by ISO week) rather than once a day
    title: str  # as people read it: "Manager digest"

    @property
    def basis(self) -> str:
        """Whose clock the schedule is read in."""
        if self.audience is Audience.TEAM_CHANNELS:
            return "workspace timezone"
        return "each person's timezone"

    @property
    def per_team(self) -> bool:
        """One send per team for a person in several teams (a manager of two gets two)."""
        return self.audience is Audience.MANAGERS


JOBS: dict[Job, JobSpec] = {
    spec.job: spec
    for spec in (
        JobSpec(
            job=Job.ACTIVITY_NUDGE,
            default=JobSchedule(time(16, 0), WORKWEEK),
            audience=Audience.REPS,
            weekly=False,
            title="Activity nudge",
        ),
        JobSpec(
            job=Job.CHECKIN_REMINDER,
            default=JobSchedule(time(10, 0), frozenset({4})),
            audience=Audience.KR_OWNERS,
            weekly=True,
            title="Check-in reminder",
        ),
        JobSpec(
            job=Job.MANAGER_DIGEST,
            default=JobSchedule(time(9, 0), frozenset({0})),
            audience=Audience.MANAGERS,
            weekly=True,
            title="Manager digest",
        ),
        JobSpec(
            job=Job.TEAM_DIGEST,
            default=JobSchedule(time(9, 30), frozenset({0})),
            audience=Audience.TEAM_CHANNELS,
            weekly=True,
            title="Team digest",
        ),
        JobSpec(
            job=Job.LEADERBOARD_POST,
            default=JobSchedule(time(16, 0), frozenset({4})),
            audience=Audience.TEAM_CHANNELS,
            weekly=True,
            title="Leaderboard post",
        ),
    )
}
DEFAULTS = {job: spec.default for job, spec in JOBS.items()}


def occurrence(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `at` on local `day`. Exactly one per day, whatever DST does: a time
    skipped by a spring-forward gap happens as many minutes after the gap; a time repeated by
    a fall-back happens the first time."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def due_day(
    schedule: JobSchedule,
    tz: ZoneInfo,
    now: datetime,
    skip: Callable[[date], bool] = lambda _day: False,
    *,
    grace: timedelta = DEFAULT_GRACE,
) -> date | None:
    """The local day whose occurrence is due at `now` (passed, and less than `grace` ago)."""
    if not schedule.enabled:
        return None
    today = now.astimezone(tz).date()
    for day in (today, today - timedelta(days=1)):
        if day.weekday() not in schedule.days or skip(day):
            continue
        at = occurrence(day, schedule.at, tz)
        if at <= now < at + grace:
            return day
    return None


def next_day(
    schedule: JobSchedule,
    tz: ZoneInfo,
    now: datetime,
    skip: Callable[[date], bool] = lambda _day: False,
) -> date | None:
    """The local day of the next occurrence after `now` (None when switched off)."""
    if not schedule.enabled or not schedule.days:
        return None
    day = now.astimezone(tz).date()
    for _ in range(400):
        if (
            day.weekday() in schedule.days
            and not skip(day)
            and occurrence(day, schedule.at, tz) > now
        ):
            return day
        day += timedelta(days=1)
    return None


def period_of(job: Job, day: date) -> str:
    """The period a message covers: the local date, or the ISO week for weekly jobs."""
    if JOBS[job].weekly:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def send_key(
    job: Job, workspace: str, recipient: str, day: date, *, team_id: int | None = None
) -> str:
    """The unique key of one scheduled message (a manager gets one digest per team)."""
    who = recipient if team_id is None else f"{recipient}/{team_id}"
    return f"{job.value}:{workspace}:{who}:{period_of(job, day)}"


def off_day(holidays: Collection[date], away_until: date | None) -> Callable[[date], bool]:
    """A skip rule: workspace holidays, and days a member is away (up to and including)."""

    def skip(day: date) -> bool:
        return day in holidays or (away_until is not None and day <= away_until)

    return skip
