"""Manager and team digests, and leaderboard posts, built from a workspace's data."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.ranking import rank
from bot.services.messages import (
    BoardRow,
    Digest,
    LeaderboardPost,
    RepWeek,
)
from bot.services.ports import ScheduleRepository
from bot.services.workspace_data import WorkspaceData


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
        expected=data.expected,
        objectives=data.team_objectives(team_id),
        needs=data.needs(krs, members),
        chart=data.chart(team, krs) if manager is not None else None,
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


def build_leaderboard_post(
    data: WorkspaceData, schedule: ScheduleRepository, team_id: int, period: str
) -> LeaderboardPost | None:
    """The week's top 10, the biggest climber, streak leaders, and last post's cheers."""
    team = data.teams.get(team_id)
    if team is None or not team.channel_id:
        return None
    members = data.members[team_id]
    now_ranked = rank([(u, *data.points_now.get(u, (0, 0))) for u in members])
    before = {
        s.user_id: s.rank for s in rank([(u, *data.points_before.get(u, (0, 0))) for u in members])
    }
    climbs = [
        (s.user_id, before[s.user_id], s.rank)
        for s in now_ranked
        if before.get(s.user_id, s.rank) > s.rank
    ]
    climber = max(climbs, key=lambda c: (c[1] - c[2], -c[2]), default=None)
    streaks = sorted(((u, data.streak(u)) for u in members), key=lambda s: (-s[1], s[0]))
    previous = schedule.last_post("leaderboard-post", team.channel_id, period)
    cheers = (
        schedule.reaction_count(team.channel_id, previous.ts) if previous and previous.ts else None
    )
    return LeaderboardPost(
        channel=team.channel_id,
        team=team.name,
        week=data.week_label(),
        rows=[
            BoardRow(s.user_id, s.rank, s.activity_points, s.result_points) for s in now_ranked[:10]
        ],
        climber=climber,
        streaks=[s for s in streaks if s[1] > 0][:3],
        last_cheers=cheers,
        idle=sum(1 for s in now_ranked if s.points <= 0),
    )
