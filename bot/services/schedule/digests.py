"""Manager and team digests, and leaderboard posts, built from a workspace's data."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.forecast import Need, what_is_needed
from bot.domain.kr_types import kind_of
from bot.domain.okrs import elapsed_fraction
from bot.domain.ranking import biggest_climber, rank
from bot.services.okrs.okr_views import feed_facts
from bot.services.ports import ScheduleRepository
from bot.services.schedule.messages import (
    Chart,
    ChartSeries,
    Digest,
    LeaderboardPost,
    RepWeek,
)
from bot.services.schedule.workspace_data import CHART_POINTS, WorkspaceData
from storage.models import KeyResult, Team


def build_digest(
    data: WorkspaceData, team_id: int, *, manager: str | None, channel: str | None
) -> Digest | None:
    """A team's weekly digest: for its manager with per-person detail, or for its channel."""
    team = data.teams.get(team_id)
    if team is None:
        return None
    krs = data.team_key_results(team_id)
    members = data.members[team_id]
    digest = Digest(
        team=team.name,
        period=data.period_label(),
        period_over=data.now >= data.week.end,
        cycle=data.cycle.name,
        expected=elapsed_fraction(data.cycle_start, data.cycle_end, data.period_end),
        objectives=data.team_objectives(team_id),
        needs=_needs(data, krs, members),
        chart=_chart(data, team, krs) if manager is not None else None,
        manager=manager,
        channel=channel,
        team_points=(
            sum(data.activity_points(u) for u in members),
            sum(data.activity_points(u, last_week=True) for u in members),
        ),
        app_id=data.workspace.app_id,
        workspace=data.workspace.id,
        built_at=data.now,
    )
    if manager is None:
        return digest
    reps = [
        RepWeek(u, data.activity_points(u), data.activity_points(u, last_week=True))
        for u in sorted(members)
    ]
    movers = sorted(
        ((r.user, r.this_week - r.last_week) for r in reps if r.this_week > r.last_week),
        key=lambda m: -m[1],
    )
    owners = {kr.owner for kr in digest.key_results}
    return replace(
        digest,
        reps=reps,
        inactive=[r.user for r in reps if r.this_week == 0],
        movers=movers[:3],
        names=data.names(sorted(set(members) | owners)),
    )


def _needs(data: WorkspaceData, krs: list[KeyResult], people: list[str]) -> list[tuple[str, Need]]:
    """What each numeric key result fed by an activity needs from `people` to be on pace."""
    lines = []
    for kr in (kr for kr in krs if kind_of(kr.kr_type).numeric):
        for link in data.links(kr):
            name = data.activity_names.get(link.activity_type_id)
            if link.role != "feeds" or name is None:
                continue
            units = sum(data.units.get((link.activity_type_id, user), 0) for user in people)
            facts = feed_facts(kr, name, units, data.cycle_end, now=data.now)
            lines.append((kr.ref, what_is_needed(facts)))
    return lines


def _chart(data: WorkspaceData, team: Team, krs: list[KeyResult]) -> Chart | None:
    """Each key result's progress over the cycle, at its check-ins and contributions."""
    if not krs:
        return None
    end = data.period_end  # the digest's week, not what came after it
    series = []
    for kr in krs:
        checkins = {c.created_at for c in data.checkins[kr.id]}
        counted = {c.created_at for c in data.contributions[kr.id] if c.created_at is not None}
        moments = chart_moments(checkins, counted, data.cycle_start, end)
        points = [(data.cycle_start, data.progress_at(kr, data.cycle_start))]
        points += [(m, data.progress_at(kr, m)) for m in moments]
        points.append((end, data.progress_at(kr, end)))
        series.append(ChartSeries(f"{kr.ref} {kr.title}"[:40], points))
    return Chart(
        title=f"{team.name}: progress against pace, {data.cycle.name}",
        start=data.cycle_start,
        end=data.cycle_end,
        now=data.period_end,
        series=series,
    )


def chart_moments(
    checkins: set[datetime], counted: set[datetime], start: datetime, end: datetime
) -> list[datetime]:
    """The moments a key result's line is drawn at, between `start` and `end`: every check-in,
    and as many of the counted activities' moments as fit in CHART_POINTS, spread evenly over
    the whole cycle (so no stretch of it is left out)."""
    inside = sorted(m for m in checkins if start < m < end)[-(CHART_POINTS - 2) :]
    room = CHART_POINTS - 2 - len(inside)
    others = sorted(m for m in counted - set(inside) if start < m < end)
    if len(others) > room:
        step = len(others) / max(room, 1)
        others = [others[int(i * step)] for i in range(room)]
    return sorted(set(inside) | set(others))


def build_leaderboard_post(
    data: WorkspaceData, schedule: ScheduleRepository, team_id: int, period: str
) -> LeaderboardPost | None:
    """The week's top 10, the biggest climber, streak leaders, and last post's cheers."""
    team = data.teams.get(team_id)
    if team is None or not team.channel_id:
        return None
    members = data.members[team_id]
    now_ranked = rank([(u, *data.points_now.get(u, (0, 0))) for u in members])
    before = rank([(u, *data.points_before.get(u, (0, 0))) for u in members])
    climber = biggest_climber(before, now_ranked)
    streaks = sorted(((u, data.streak(u)) for u in members), key=lambda s: (-s[1], s[0]))
    previous = schedule.last_post("leaderboard-post", team.channel_id, period)
    cheers = (
        schedule.reaction_count(team.channel_id, previous.ts) if previous and previous.ts else None
    )
    return LeaderboardPost(
        channel=team.channel_id,
        team=team.name,
        week=data.week_label(),
        rows=now_ranked[:10],
        climber=climber,
        streaks=[s for s in streaks if s[1] > 0][:3],
        last_cheers=cheers,
        idle=sum(1 for s in now_ranked if s.points <= 0),
    )
