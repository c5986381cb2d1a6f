"""Scheduled jobs: who is due, claim each message's key, deliver once, resume what a crash left."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.schedule import (
    DEFAULT_GRACE,
    JOBS,
    Job,
    due_day,
    next_day,
    off_day,
    period_of,
    send_key,
)
from bot.domain.schedule_settings import schedule_for, schedules_from_json
from bot.services.context import ServiceContext
from bot.services.job_listing import JobInfo as JobInfo
from bot.services.job_listing import JobListing
from bot.services.messages import (
    Outbox,
)
from bot.services.on_demand_sends import OnDemandSends
from bot.services.schedule_settings import ScheduleSettings
from bot.services.schedule_targets import Roster, Target
from bot.services.sender import RunReport, Sender
from bot.services.workspace_data import WorkspaceData

log = logging.getLogger(__name__)
TZ_REFRESH = timedelta(days=1)


@dataclass(frozen=True)
class Planned:
    job: Job
    target: Target
    day: date
    key: str


class SchedulerService(ScheduleSettings, OnDemandSends, JobListing):
    """Runs the five jobs for every workspace. Every message is claimed by key before sending."""

    def __init__(
        self,
        ctx: ServiceContext,
        outbox: Outbox,
        *,
        grace: timedelta = DEFAULT_GRACE,
        resume_after: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
        tz_refresh_batch: int = 50,
    ) -> None:
        self.ctx = ctx
        self.grace, self.resume_after, self.max_attempts = grace, resume_after, max_attempts
        self.tz_refresh_batch = tz_refresh_batch
        self.sender = Sender(ctx, outbox, resume_after, max_attempts)

    # -- entry points --------------------------------------------------------------------------
    def tick(self) -> RunReport:
        """Plan what is due now, send it, then resume unfinished sends. Safe to run anywhere,
        any time; other processes may help send with `send_planned`."""
        report = self.plan_due()
        self.send_planned(report)
        now = self.ctx.clock.now()
        for workspace in self._workspaces():
            try:
                self.sender.resume(workspace, now, report, {})
            except Exception:  # one workspace's trouble must not stop the others
                log.exception("resuming sends failed for workspace %s", workspace)
        return report

    def plan_due(self) -> RunReport:
        """The planner (one process): queue every send due now, in each workspace."""
        report = RunReport()
        now = self.ctx.clock.now()
        for workspace in self._workspaces():
            try:
                self._refresh_timezones(workspace, now)
                due = self._plan(workspace, list(Job), now, due_only=True)
                with self.ctx.uow() as uow:
                    schedule = uow.schedule(workspace)
                    for seq, planned in enumerate(due):
                        if not schedule.plan(
                            planned.key,
                            planned.job.value,
                            planned.target.recipient,
                            period_of(planned.job, planned.day),
                            now=now,
                            team_id=planned.target.team_id,
                            seq=seq,
                        ):
                            report.already += 1
                    uow.commit()
                invited = self.send_invitations(workspace)  # any the form's own send missed
                report.sent += invited.sent
            except Exception:  # one workspace's trouble must not stop the others
                log.exception("planning failed for workspace %s", workspace)
        return report

    def send_planned(self, report: RunReport | None = None, batch: int = 20) -> RunReport:
        """A sender (any number of processes): claim planned sends, a batch at a time, and
        send them until none is left."""
        report = report or RunReport()
        caches: dict[str, dict[str, WorkspaceData]] = {}
        while True:
            now = self.ctx.clock.now()
            with self.ctx.uow() as uow:
                claimed = uow.claim_planned(now, batch, now - self.grace)
                uow.commit()
            if not claimed:
                return report
            for send in claimed:
                if not self._still_mine(send.workspace_id, send.key, send.claimed_at):
                    continue  # a slow batch: another process took this one over
                self.sender.send(
                    send.workspace_id,
                    send.key,
                    Job(send.job),
                    send.recipient,
                    team_id=send.team_id,
                    period=send.period,
                    now=now,
                    report=report,
                    cache=caches.setdefault(send.workspace_id, {}),
                )

    def run_job(self, job: Job, team: str | None = None, workspace: str | None = None) -> RunReport:
        """Send `job` now to everyone its next run would reach (same keys: twice sends nothing new)."""
        report = RunReport()
        now = self.ctx.clock.now()
        for ws in [workspace] if workspace else self._workspaces():
            cache: dict[str, WorkspaceData] = {}
            for planned in self._plan(ws, [job], now, due_only=False):
                if team is None or (planned.target.team_name or "").casefold() == team.casefold():
                    self._claim_and_send(ws, planned, now, report, cache=cache)
        return report

    def _still_mine(self, workspace: str, key: str, claimed_at: datetime) -> bool:
        """Renew a claim just before sending it, unless another process took it over."""
        with self.ctx.uow() as uow:
            mine = uow.schedule(workspace).renew(key, claimed_at, self.ctx.clock.now())
            uow.commit()
        return mine

    # -- planning --------------------------------------------------------------------------------
    def _workspaces(self) -> list[str]:
        with self.ctx.uow() as uow:
            return uow.workspace_ids(active_only=True)

    def _plan(
        self, workspace: str, jobs: list[Job], now: datetime, *, due_only: bool
    ) -> list[Planned]:
        """Who each of `jobs` reaches now (`due_only`) or at its next run, in one transaction."""
        with self.ctx.uow() as uow:
            roster = Roster(uow, workspace, now)
            ws = uow.repo(workspace).workspace()
            assert ws is not None
            holidays = {date.fromisoformat(d) for d in ws.holidays or []}
            config = schedules_from_json(ws.schedules)
            planned = []
            for job in jobs:
                for target in roster.targets(job):
                    schedule = schedule_for(job, config, target.team_name)
                    skip = off_day(holidays, target.away_until)
                    day = due_day(schedule, target.tz, now, skip, grace=self.grace)
                    if day is None and not due_only:
                        day = next_day(schedule, target.tz, now, skip)
                    if day is None:
                        continue
                    team = target.team_id if JOBS[job].per_team else None
                    key = send_key(job, workspace, target.recipient, day, team_id=team)
                    planned.append(Planned(job, target, day, key))
            known = (
                uow.schedule(workspace).known_keys([p.key for p in planned]) if due_only else set()
            )
            return [p for p in planned if p.key not in known]

    # -- sending -----------------------------------------------------------------------------------
    def _claim_and_send(
        self,
        workspace: str,
        planned: Planned,
        now: datetime,
        report: RunReport,
        *,
        cache: dict[str, WorkspaceData],
    ) -> None:
        with self.ctx.uow() as uow:
            claimed = uow.schedule(workspace).claim(
                planned.key,
                planned.job.value,
                planned.target.recipient,
                period_of(planned.job, planned.day),
                now=now,
                team_id=planned.target.team_id,
            )
            uow.commit()
        if not claimed:
            report.already += 1
            return
        self.sender.send(
            workspace,
            planned.key,
            planned.job,
            planned.target.recipient,
            team_id=planned.target.team_id,
            period=period_of(planned.job, planned.day),
            now=now,
            report=report,
            cache=cache,
        )

    def _refresh_timezones(self, workspace: str, now: datetime) -> None:
        """Ask Slack for members' timezones at most once a day, a few members per tick."""
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            users = repo.members_to_refresh(now - TZ_REFRESH, self.tz_refresh_batch)
        for user in users:
            profile = self.ctx.profiles(workspace, user)
            with self.ctx.uow() as uow:
                member = uow.repo(workspace).member(user)
                if member is not None:
                    member.timezone = profile.timezone or member.timezone
                    member.name = profile.name or member.name
                    member.tz_checked_at = now
                uow.commit()
