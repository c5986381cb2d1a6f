"""Who each scheduled job reaches, and in which timezone its schedule is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import assert_never
from zoneinfo import ZoneInfo

from bot.domain.periods import zone
from bot.domain.schedule import JOBS, Audience, Job
from bot.services.okrs.results import current_cycle
from bot.services.ports import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Target:
    """One recipient of a job, with the timezone its schedule is read in."""

    recipient: str
    tz: ZoneInfo
    team_id: int | None
    team_name: str | None
    away_until: date | None = None


class Roster:
    """A workspace's people, teams and roles, loaded once and shared by every job's targets."""

    def __init__(self, uow: UnitOfWork, workspace: str, now: datetime) -> None:
        self.uow, self.workspace, self.now = uow, workspace, now
        repo = uow.repo(workspace)
        ws = repo.workspace()
        assert ws is not None
        self.tz = zone(ws.timezone)
        self.teams = {t.id: t for t in repo.teams()}
        self.members = {m.user_id: m for m in repo.members()}
        self.roles: dict[str, list[tuple[str, int]]] = {}
        for membership in repo.all_memberships():
            if membership.team_id in self.teams:
                self.roles.setdefault(membership.user_id, []).append(
                    (membership.role, membership.team_id)
                )

    def _person(self, user: str, team_id: int | None) -> Target:
        member = self.members.get(user)
        tz = zone(member.timezone) if member is not None and member.timezone else self.tz
        name = self.teams[team_id].name if team_id in self.teams else None
        return Target(
            recipient=user,
            tz=tz,
            team_id=team_id,
            team_name=name,
            away_until=member.away_until if member else None,
        )

    def _first_team(self, user: str, role: str) -> int | None:
        ids = sorted((self.teams[t].name, t) for r, t in self.roles.get(user, []) if r == role)
        return ids[0][1] if ids else None

    def targets(self, job: Job) -> list[Target]:
        """Everyone the job's audience names: reps, key-result owners, managers (one target
        per team they manage), or team channels."""
        audience = JOBS[job].audience
        if audience is Audience.REPS:
            reps = sorted(u for u, rs in self.roles.items() if any(r == "member" for r, _t in rs))
            return [self._person(u, self._first_team(u, "member")) for u in reps]
        if audience is Audience.KR_OWNERS:
            okrs = self.uow.okrs(self.workspace)
            cycle = current_cycle(okrs, self.tz, self.now)
            krs = okrs.key_results([o.id for o in okrs.objectives(cycle.id)])
            owners = sorted({kr.owner_id for kr in krs if kr.final_score is None})
            return [
                self._person(u, self._first_team(u, "member") or self._first_team(u, "manager"))
                for u in owners
            ]
        if audience is Audience.MANAGERS:
            return [
                self._person(u, t)
                for u, rs in sorted(self.roles.items())
                for r, t in rs
                if r == "manager"
            ]
        if audience is Audience.TEAM_CHANNELS:
            return [
                Target(recipient=team.channel_id, tz=self.tz, team_id=team.id, team_name=team.name)
                for team in sorted(self.teams.values(), key=lambda t: t.name)
                if team.channel_id
            ]
        assert_never(audience)
