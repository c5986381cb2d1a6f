"""A workspace's data for one run of digests and leaderboard posts, read in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.domain.kr_types import kind_of
from bot.domain.okrs import (
    Level,
    elapsed_fraction,
    is_stale,
    kr_status,
    raw_progress,
    rollup,
    worst,
)
from bot.domain.periods import (
    PeriodKind,
    local_date,
    period_containing,
    period_days_label,
    zone,
)
from bot.domain.streaks import working_day_streak
from bot.services.okrs.results import current_cycle, cycle_bounds, measure_of
from bot.services.ports import OkrRepository, WorkspaceRepository
from bot.services.schedule.messages import (
    DigestKR,
    DigestObjective,
)
from storage.models import ActivityLink, KeyResult, Objective

T = TypeVar("T")
WEEK = timedelta(days=7)
STREAK_WINDOW = timedelta(days=28)
CHART_POINTS = 60


class WorkspaceData:
    """Everything the weekly jobs need about one workspace, in a fixed number of queries."""

    def __init__(
        self,
        repo: WorkspaceRepository,
        okrs: OkrRepository,
        now: datetime,
        *,
        week_of: datetime | None = None,
        calendar: ZoneInfo | None = None,
        streaks: bool = False,
        okrs_too: bool = True,
    ) -> None:
        """Read everything in the caller's transaction: the data outlives it (it is reused for
        every team of the run), so nothing here reads the database later. Streaks, which only
        leaderboard posts show, are read with `streaks`; the cycle's OKRs, which only digests
        show, unless `okrs_too` is False."""
        workspace = repo.workspace()
        assert workspace is not None
        self.workspace = workspace
        self.tz: ZoneInfo = zone(workspace.timezone)
        self.now = now
        # Leaderboards cover this week; Monday's digests the week that has just ended, in the
        # calendar of whoever reads it (a manager's own timezone), so it is a whole week.
        self.week = period_containing(PeriodKind.WEEK, week_of or now, calendar or self.tz)
        self.calendar = calendar or self.tz
        self.period_end = min(now, self.week.end)
        self.points_now = repo.points_by_member(self.week.start, self.week.end)
        self.points_before = repo.points_by_member(self.week.start - WEEK, self.week.start)
        self.teams = {team.id: team for team in repo.teams()}
        self.members: dict[int, list[str]] = defaultdict(list)
        self.managers: dict[int, list[str]] = defaultdict(list)
        for membership in repo.all_memberships():
            target = self.members if membership.role == "member" else self.managers
            target[membership.team_id].append(membership.user_id)
        self.key_results: list[KeyResult] = []  # none read without `okrs_too`: a board's data
        self.objectives: list[Objective] = []
        self._team_objectives: defaultdict[int, list[Objective]] = defaultdict(list)
        if okrs_too:
            self._read_okrs(repo, okrs)
        self._streaks: dict[str, int] = {}
        if streaks:  # one member's days at a time, so memory grows with members, not days
            today = local_date(now, self.tz)
            for member, days in repo.active_days_by_member(today - STREAK_WINDOW):
                self._streaks[member] = working_day_streak(set(days), today)
        people = {
            u for group in (self.members, self.managers) for users in group.values() for u in users
        }
        people |= {kr.owner_id for kr in self.key_results}
        named = repo.member_names(None)  # most of the workspace: one scan, not a list of ids
        self._names = {user: named[user] for user in people if user in named}

    def _read_okrs(self, repo: WorkspaceRepository, okrs: OkrRepository) -> None:
        """The cycle's objectives and key results, their check-ins, contributions and links,
        and the units logged toward them."""
        self.cycle = current_cycle(okrs, self.tz, self.now)
        self.cycle_start, self.cycle_end = cycle_bounds(self.cycle, self.tz)
        self.expected = elapsed_fraction(self.cycle_start, self.cycle_end, self.now)
        self.objectives = okrs.objectives(self.cycle.id)
        self.key_results = okrs.key_results([o.id for o in self.objectives])
        team_objectives = (o for o in self.objectives if o.level == Level.TEAM and o.team_id)
        self._team_objectives = _grouped(team_objectives, lambda o: o.team_id or 0)
        self._objective_krs = _grouped(self.key_results, lambda kr: kr.objective_id)
        kr_ids = [kr.id for kr in self.key_results]
        self.checkins = _grouped(okrs.checkins(kr_ids), lambda c: c.key_result_id)
        self.contributions = _grouped(okrs.contributions_for(kr_ids), lambda c: c.key_result_id)
        self._links = _grouped(okrs.links(kr_ids=kr_ids), lambda link: link.key_result_id)
        self.activity_names = {t.id: t.name for t in repo.activity_types(include_archived=True)}
        self.units = okrs.units_by_member(self.cycle_start, self.cycle_end)

    # -- key results over time -----------------------------------------------------------------
    def value_at(self, kr: KeyResult, moment: datetime) -> float | None:
        """The key result's value as it stood at `moment`: last check-in plus counted activities since."""
        base_time, value = kr.created_at, kr.start_value if kind_of(kr.kr_type).numeric else None
        for checkin in self.checkins[kr.id]:
            if checkin.created_at <= moment:
                base_time, value = checkin.created_at, checkin.value
        added = sum(
            c.amount
            for c in self.contributions[kr.id]
            if c.created_at is not None
            and base_time < c.created_at <= moment
            and (c.reversed_at is None or c.reversed_at > moment)
        )
        if added:
            value = (value if value is not None else kr.start_value or 0.0) + added
        return value

    def progress_at(self, kr: KeyResult, moment: datetime) -> float:
        if moment >= self.now:
            return raw_progress(measure_of(kr))
        if kind_of(kr.kr_type).milestones:
            ticked: list[bool] = []
            for checkin in self.checkins[kr.id]:
                if checkin.created_at <= moment and checkin.milestones_done is not None:
                    ticked = list(checkin.milestones_done)
            total = len(kr.milestones or [])
            return sum(1 for flag in ticked[:total] if flag) / total if total else 0.0
        return raw_progress(replace(measure_of(kr), current=self.value_at(kr, moment)))

    def team_key_results(self, team_id: int) -> list[KeyResult]:
        return [kr for o in self._team_objectives[team_id] for kr in self._objective_krs[o.id]]

    def team_objectives(self, team_id: int) -> list[DigestObjective]:
        """The team's objectives, each with how its key results moved over the period."""
        result = []
        for objective in self._team_objectives[team_id]:
            krs = self._objective_krs[objective.id]
            views = [self.digest_kr(kr) for kr in krs]
            scores = [
                (min(1.0, max(0.0, v.progress)), kr.weight)
                for kr, v in zip(krs, views, strict=True)
            ]
            result.append(
                DigestObjective(
                    ref=objective.ref,
                    title=objective.title,
                    progress=rollup(scores),
                    status=worst([v.status for v in views]),
                    key_results=views,
                )
            )
        return result

    def digest_kr(self, kr: KeyResult) -> DigestKR:
        """The key result at the end of the period, and how it moved over it: every figure,
        confidence and staleness included, as it stood then, whatever came after."""
        start, end = self.week.start, self.period_end
        progress = self.progress_at(kr, end)
        change = None
        if kind_of(kr.kr_type).numeric:
            before, after = self.value_at(kr, start), self.value_at(kr, end)
            if end >= self.now:
                after = kr.current_value
            change = (after or 0.0) - (before if before is not None else after or 0.0)
        history = [c for c in self.checkins[kr.id] if c.created_at <= end]
        last_checkin = history[-1].created_at if history else None
        return DigestKR(
            ref=kr.ref,
            title=kr.title,
            owner=kr.owner_id,
            progress=progress,
            progress_before=self.progress_at(kr, start),
            status=kr_status(
                min(1.0, max(0.0, progress)),
                (self.cycle_start, self.cycle_end),
                kr.created_at,
                end,
                checked_in=last_checkin is not None,
            ),
            stale=is_stale(last_checkin, max(kr.created_at, self.cycle_start), end),
            confidences=tuple(c.confidence for c in history),
            unit=kr.unit or "",
            value_change=change,
        )

    def links(self, kr: KeyResult) -> list[ActivityLink]:
        return self._links[kr.id]

    # -- people ----------------------------------------------------------------------------------
    def activity_points(self, user: str, *, last_week: bool = False) -> int:
        return (self.points_before if last_week else self.points_now).get(user, (0, 0))[0]

    def names(self, users: list[str]) -> dict[str, str]:
        """Members' names from their Slack profiles, where known."""
        return {user: self._names[user] for user in users if user in self._names}

    def streak(self, user: str) -> int:
        """Working days in a row with an activity (read when built `with streaks`)."""
        return self._streaks.get(user, 0)

    def week_label(self) -> str:
        return self.week.label

    def period_label(self) -> str:
        """`Mon 16 – Sun 22 Nov`."""
        return period_days_label(self.week, self.calendar)


def _grouped(items: Iterable[T], key: Callable[[T], int]) -> defaultdict[int, list[T]]:
    """`items` by `key`, in their order."""
    groups: defaultdict[int, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups
