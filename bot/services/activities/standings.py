"""Points totals, streaks and leaderboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.board_parsing import BoardRequest, parse_board
from bot.domain.periods import Period, PeriodKind, local_date, period_containing
from bot.domain.ranking import Standing, rank
from bot.domain.streaks import working_day_streak
from bot.services.context import ServiceContext, ensure_member
from bot.services.okrs.results import current_cycle, cycle_bounds
from bot.services.ports import OkrRepository, WorkspaceRepository

TOP = 10
STREAK_LOOKBACK = timedelta(days=400)


@dataclass(frozen=True)
class Scope:
    """Who a board covers: a team's members, or everyone in the workspace (team None)."""

    team: str | None
    user_ids: list[str]


@dataclass(frozen=True, kw_only=True)
class Board:
    """A ranked board: the top rows, plus the caller's own row wherever it falls."""

    period: Period
    team: str | None
    top: list[Standing]
    me: Standing | None
    size: int
    caller_without_team: bool = False
    names: dict[str, str] = field(default_factory=dict)  # Slack names of the rows, where read
    total: int = 0  # everyone's points together over the period
    scorers: int = 0  # how many have points in the period


@dataclass(frozen=True)
class Totals:
    """Activity and result points over one period."""

    period: Period
    activity: int
    result: int

    @property
    def total(self) -> int:
        """Both kinds together."""
        return self.activity + self.result


@dataclass(frozen=True)
class PointsSummary:
    """What `/points` shows about one member."""

    user_id: str
    week: Totals
    quarter: Totals
    streak: int


def home_scope(repo: WorkspaceRepository, user_id: str) -> Scope:
    """The caller's own team (the first they are a member of, else one they manage)."""
    home = repo.home_team(user_id)
    if home is None:
        return Scope(None, repo.member_ids())
    name, members = home
    return Scope(name, members)


def standings(repo: WorkspaceRepository, period: Period, user_ids: Sequence[str]) -> list[Standing]:
    """Everyone in `user_ids` ranked by points in `period`, zero for those with none."""
    points = repo.points_by_member(period.start, period.end)
    scored = [(user, *points.get(user, (0, 0))) for user in dict.fromkeys(user_ids)]
    return rank(scored)


def build_board(
    repo: WorkspaceRepository,
    period: Period,
    scope: Scope,
    caller: str,
    *,
    without_team: bool = False,
) -> Board:
    """Rank `scope` over `period` and pick the caller's row."""
    ranked = standings(repo, period, scope.user_ids)
    me = next((row for row in ranked if row.user_id == caller), None)
    total = sum(row.points for row in ranked)
    scorers = sum(1 for row in ranked if row.points > 0)
    return Board(
        period=period,
        team=scope.team,
        top=ranked[:TOP],
        me=me,
        size=len(ranked),
        caller_without_team=without_team,
        total=total,
        scorers=scorers,
    )


def totals(repo: WorkspaceRepository, user_id: str, period: Period) -> Totals:
    """One member's activity and result points in `period`."""
    activity, result = repo.points_by_member(period.start, period.end, [user_id]).get(
        user_id, (0, 0)
    )
    return Totals(period, activity, result)


def streak(repo: WorkspaceRepository, user_id: str, now: datetime, tz: ZoneInfo) -> int:
    """Working days in a row with at least one activity, as of `now` in `tz` (the workspace's
    calendar, whose days the rollups count)."""
    today = local_date(now, tz)
    return working_day_streak(repo.active_days(user_id, today - STREAK_LOOKBACK), today)


class StandingsService:
    """`/points` and `/leaderboard`."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def points(self, workspace_id: str, caller: str, member: str | None = None) -> PointsSummary:
        """This week's and this quarter's points and the streak of `member` (default: caller)."""
        self.ctx.warm(workspace_id, caller)
        subject = member or caller
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            tz = ensure_member(self.ctx, repo, caller)
            now = self.ctx.clock.now()
            summary = PointsSummary(
                user_id=subject,
                week=totals(repo, subject, period_containing(PeriodKind.WEEK, now, tz)),
                quarter=totals(repo, subject, period_containing(PeriodKind.QUARTER, now, tz)),
                streak=streak(repo, subject, now, tz),
            )
            uow.commit()
            return summary

    def _period(self, okrs: OkrRepository, request: BoardRequest, tz: ZoneInfo) -> Period:
        now = self.ctx.clock.now()
        kind = request.period
        if kind is not PeriodKind.CYCLE:
            current = period_containing(kind, now, tz)
            if not request.previous:
                return current
            return period_containing(kind, current.start - timedelta(microseconds=1), tz)
        cycle = current_cycle(okrs, tz, now)  # closing a cycle starts the next season
        start, end = cycle_bounds(cycle, tz)
        return Period(PeriodKind.CYCLE, start, end, f"season {cycle.name}")

    def board(self, workspace_id: str, text: str) -> Board:
        """A board as `/leaderboard <text>` reads it, for no one in particular (the API):
        without a team, the whole workspace."""
        with self.ctx.uow() as uow:
            tz = uow.repo(workspace_id).timezone()
            repo = uow.repo(workspace_id, tz.key)  # its rollup reads need not read it again
            teams = {team.name: team for team in repo.teams()}
            request: BoardRequest = parse_board(text, list(teams))
            period = self._period(uow.okrs(workspace_id), request, tz)
            if request.team is not None and not request.everyone:
                team = teams[request.team]
                scope = Scope(team.name, repo.team_member_ids(team.id))
            else:
                scope = Scope(None, repo.member_ids())
            board = build_board(repo, period, scope, "")
            return replace(board, names=repo.member_names([row.user_id for row in board.top]))

    def leaderboard(self, workspace_id: str, caller: str, text: str) -> Board:
        """The board `/leaderboard <text>` asks for; UserError for an unknown period or team."""
        self.ctx.warm(workspace_id, caller)
        with self.ctx.uow() as uow:
            tz = ensure_member(self.ctx, uow.repo(workspace_id), caller)
            repo = uow.repo(workspace_id, tz.key)  # its rollup reads need not read it again
            teams = {team.name: team for team in repo.teams()}
            request: BoardRequest = parse_board(text, list(teams))
            period = self._period(uow.okrs(workspace_id), request, tz)
            if request.everyone:
                scope = Scope(None, repo.member_ids())
            elif request.team is not None:
                team = teams[request.team]
                scope = Scope(team.name, repo.team_member_ids(team.id))
            else:
                scope = home_scope(repo, caller)
            without_team = scope.team is None and not request.everyone
            board = build_board(repo, period, scope, caller, without_team=without_team)
            uow.commit()
            return board
