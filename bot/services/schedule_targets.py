"""Who each scheduled job reaches, and in which timezone its schedule is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.periods import zone
from bot.domain.schedule import Job
from bot.services.results import current_cycle
from storage.db import UnitOfWork


@dataclass(frozen=True)
class Target:
    """One recipient of a job, with the timezone its schedule is read in."""

    recipient: str
    tz: ZoneInfo
    team_id: int | None
    team_name: str | None
    away_until: date | None = None


def targets(uow: UnitOfWork, workspace: str, job: Job, now: datetime) -> list[Target]:
    """Reps for nudges, key-result owners for reminders, managers (one per team) for manager
    digests, team channels for team digests and leaderboard posts."""
    repo = uow.repo(workspace)
    ws = repo.workspace()
    assert ws is not None
    ws_tz = zone(ws.timezone)
    teams = {t.id: t for t in repo.teams()}
    members = {m.user_id: m for m in repo.members()}
    roles: dict[str, list[tuple[str, int]]] = {}
    for membership in repo.all_memberships():
        if membership.team_id in teams:
            roles.setdefault(membership.user_id, []).append((membership.role, membership.team_id))

    def person(user: str, team_id: int | None) -> Target:
        member = members.get(user)
        tz = zone(member.timezone) if member is not None and member.timezone else ws_tz
        name = teams[team_id].name if team_id in teams else None
        return Target(user, tz, team_id, name, member.away_until if member else None)

    def first_team(user: str, role: str) -> int | None:
        ids = sorted((teams[t].name, t) for r, t in roles.get(user, []) if r == role)
        return ids[0][1] if ids else None

    if job is Job.ACTIVITY_NUDGE:
        reps = sorted(u for u, rs in roles.items() if any(r == "member" for r, _t in rs))
        return [person(u, first_team(u, "member")) for u in reps]
    if job is Job.CHECKIN_REMINDER:
        okrs = uow.okrs(workspace)
        cycle = current_cycle(okrs, ws_tz, now)
        owners = sorted(
            {
                kr.owner_id
                for kr in okrs.key_results([o.id for o in okrs.objectives(cycle.id)])
                if kr.final_score is None
            }
        )
        return [person(u, first_team(u, "member") or first_team(u, "manager")) for u in owners]
    if job is Job.MANAGER_DIGEST:
        return [person(u, t) for u, rs in sorted(roles.items()) for r, t in rs if r == "manager"]
    return [
        Target(team.channel_id, ws_tz, team.id, team.name)
        for team in sorted(teams.values(), key=lambda t: t.name)
        if team.channel_id
    ]
