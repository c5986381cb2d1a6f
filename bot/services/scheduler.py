"""Scheduled jobs: who is due, claim each message's key, deliver once, resume what a crash left."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.errors import NotAllowed, UserError
from bot.domain.periods import local_date
from bot.domain.schedule import (
    DEFAULT_GRACE,
    JOBS,
    Job,
    due_day,
    next_day,
    occurrence,
    off_day,
    period_of,
    schedule_for,
    send_key,
)
from bot.services.consent import invitations
from bot.services.context import ServiceContext, ensure_member
from bot.services.digests import WorkspaceData
from bot.services.messages import (
    AssignmentInvite,
    ManagerNudge,
    Outbox,
)
from bot.services.schedule_targets import Roster, Target
from bot.services.sender import KR_INVITE, MANAGER_NUDGE, RunReport, Sender
from storage.schedule_repository import FAILED

log = logging.getLogger(__name__)
TZ_REFRESH = timedelta(days=1)


class NudgeOutcome(enum.Enum):
    SENT = "sent"
    ALREADY_NUDGED = "already nudged today"
    ACTIVE = "has logged since the digest"


@dataclass(frozen=True)
class Planned:
    job: Job
    target: Target
    day: date
    key: str


@dataclass(frozen=True)
class JobInfo:
    workspace: str
    job: Job
    schedule: str
    basis: str
    next_run: datetime | None
    recipients: int
    timezone: str = "UTC"  # the workspace's


class SchedulerService:
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
        """Send everything due now, then resume unfinished sends. Safe to run anywhere, any time."""
        report = RunReport()
        now = self.ctx.clock.now()
        for workspace in self._workspaces():
            try:
                self._refresh_timezones(workspace, now)
                cache: dict[str, WorkspaceData] = {}
                for planned in self._plan(workspace, list(Job), now, due_only=True):
                    self._claim_and_send(workspace, planned, now, report, cache)
                invited = self.send_invitations(workspace)  # any the form's own send missed
                report.sent += invited.sent
                self.sender.resume(workspace, now, report, cache)
            except Exception:  # one workspace's trouble must not stop the others
                log.exception("scheduler tick failed for workspace %s", workspace)
        return report

    def run_job(self, job: Job, team: str | None = None, workspace: str | None = None) -> RunReport:
        """Send `job` now to everyone its next run would reach (same keys: twice sends nothing new)."""
        report = RunReport()
        now = self.ctx.clock.now()
        for ws in [workspace] if workspace else self._workspaces():
            cache: dict[str, WorkspaceData] = {}
            for planned in self._plan(ws, [job], now, due_only=False):
                if team is None or (planned.target.team_name or "").casefold() == team.casefold():
                    self._claim_and_send(ws, planned, now, report, cache)
        return report

    def jobs(self) -> list[JobInfo]:
        """Each job of each workspace with its schedule and next run."""
        now = self.ctx.clock.now()
        infos = []
        for workspace in self._workspaces():
            with self.ctx.uow() as uow:
                ws = uow.repo(workspace).workspace()
                assert ws is not None
                config, timezone = ws.schedules or {}, ws.timezone
            everything = self._plan(workspace, list(Job), now, due_only=False)
            for job in Job:
                plans = [p for p in everything if p.job is job]
                first = min(
                    (
                        occurrence(
                            p.day, schedule_for(job, config, p.target.team_name).at, p.target.tz
                        )
                        for p in plans
                    ),
                    default=None,
                )
                basis = JOBS[job].basis
                infos.append(
                    JobInfo(
                        workspace,
                        job,
                        schedule_for(job, config).describe(),
                        basis,
                        first,
                        len(plans),
                        timezone,
                    )
                )
        return infos

    def nudge(
        self, workspace: str, manager: str, rep: str, since: datetime | None = None
    ) -> NudgeOutcome:
        """A manager's Nudge button: DM the rep, at most once a day, and not if they have
        logged an activity since `since` (when the digest with the button was built)."""
        self.ctx.warm(workspace, manager)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            tz = ensure_member(self.ctx, repo, manager)
            if rep not in {
                m for t in repo.managed_team_ids(manager) for m in repo.team_member_ids(t)
            }:
                raise NotAllowed(
                    f"You can nudge the reps of teams you manage; <@{rep}> is not one of them."
                )
            if since is not None and repo.logged_since(rep, since):
                return NudgeOutcome.ACTIVE
            key = f"{MANAGER_NUDGE}:{workspace}:{rep}:{local_date(now, tz).isoformat()}"
            claimed = uow.schedule(workspace).claim(
                key, MANAGER_NUDGE, rep, local_date(now, tz).isoformat(), now
            )
            uow.commit()
        if not claimed:
            return NudgeOutcome.ALREADY_NUDGED
        self.sender.deliver(workspace, key, ManagerNudge(rep, manager), now, RunReport())
        return NudgeOutcome.SENT

    def send_invitations(self, workspace: str) -> RunReport:
        """Ask each new owner, once, to accept the key result someone gave them."""
        now, report = self.ctx.clock.now(), RunReport()
        with self.ctx.uow() as uow:
            okrs = uow.okrs(workspace)
            objectives = {o.id: o for o in okrs.all_objectives()}
            pending = invitations(okrs.unaccepted_key_results(), objectives)
        for invitation in pending:
            key = f"{KR_INVITE}:{workspace}:{invitation.ref}"
            with self.ctx.uow() as uow:
                schedule = uow.schedule(workspace)
                earlier = schedule.send(key)
                if earlier is None:
                    claimed = schedule.claim(key, KR_INVITE, invitation.owner, invitation.ref, now)
                else:  # asked before: again only if that send failed, a while ago
                    claimed = (
                        earlier.status == FAILED
                        and earlier.attempts < self.max_attempts
                        and earlier.claimed_at < now - self.resume_after
                        and schedule.take_over(key, earlier.claimed_at, now)
                    )
                kr = uow.okrs(workspace).key_result_by_ref(invitation.ref)
                if claimed and kr is not None:
                    kr.invited_at = now
                uow.commit()
            if not claimed:
                report.already += 1
                continue
            message = AssignmentInvite(
                invitation.owner,
                invitation.ref,
                invitation.title,
                f"{invitation.objective_ref} · {invitation.objective_title}",
                invitation.assigned_by,
                invitation.points,
            )
            self.sender.deliver(workspace, key, message, now, report)
        return report

    def settings(self, workspace: str) -> list[tuple[Job, str, bool]]:
        """Each job with its workspace-level schedule and whether it is on."""
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            config = (ws.schedules if ws else None) or {}
        return [
            (job, schedule_for(job, config).describe(), schedule_for(job, config).enabled)
            for job in Job
        ]

    def switch(
        self, workspace: str, user: str, job: Job, enabled: bool, is_admin: Callable[[], bool]
    ) -> None:
        """Switch a job on or off for the whole workspace (admins only)."""
        if not is_admin():
            raise NotAllowed("Only workspace admins can change scheduled messages.")
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            assert ws is not None
            config = {name: dict(value) for name, value in (ws.schedules or {}).items()}
            config.setdefault(job.value, {})["enabled"] = enabled
            ws.schedules = config
            uow.commit()

    def record_reaction(
        self, workspace: str, channel: str, ts: str, user: str, reaction: str
    ) -> bool:
        """Remember a reaction on one of our posts; False for other messages or a repeat."""
        with self.ctx.uow() as uow:
            schedule = uow.schedule(workspace)
            if not schedule.is_our_post(channel, ts):
                return False
            added = schedule.add_reaction(channel, ts, user, reaction, self.ctx.clock.now())
            uow.commit()
            return added

    def remember_app_id(self, workspace: str, app_id: str) -> None:
        """Keep the app's id, for 'Open dashboard' links in scheduled messages."""
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            if ws is not None and ws.app_id != app_id:
                ws.app_id = app_id
                uow.commit()

    def set_away(self, workspace: str, user: str, until: date | None) -> None:
        """Pause (until a date, included) or resume a member's nudges and reminders."""
        self.ctx.warm(workspace, user)
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            tz = ensure_member(self.ctx, repo, user)
            if until is not None and until < local_date(self.ctx.clock.now(), tz):
                raise UserError(
                    f"{until.isoformat()} has already passed; give a date from today on."
                )
            member = repo.member(user)
            assert member is not None
            member.away_until = until
            uow.commit()

    # -- planning --------------------------------------------------------------------------------
    def _workspaces(self) -> list[str]:
        with self.ctx.uow() as uow:
            return uow.workspace_ids()

    def _plan(
        self, workspace: str, jobs: list[Job], now: datetime, *, due_only: bool
    ) -> list[Planned]:
        """Who each of `jobs` reaches now (`due_only`) or at its next run, in one transaction."""
        with self.ctx.uow() as uow:
            roster = Roster(uow, workspace, now)
            ws = uow.repo(workspace).workspace()
            assert ws is not None
            holidays = {date.fromisoformat(d) for d in ws.holidays or []}
            config = ws.schedules or {}
            planned = []
            for job in jobs:
                for target in roster.targets(job):
                    schedule = schedule_for(job, config, target.team_name)
                    skip = off_day(holidays, target.away_until)
                    day = due_day(schedule, target.tz, now, skip, self.grace)
                    if day is None and not due_only:
                        day = next_day(schedule, target.tz, now, skip)
                    if day is None:
                        continue
                    team = target.team_id if JOBS[job].per_team else None
                    key = send_key(job, workspace, target.recipient, day, team)
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
        cache: dict[str, WorkspaceData],
    ) -> None:
        with self.ctx.uow() as uow:
            claimed = uow.schedule(workspace).claim(
                planned.key,
                planned.job.value,
                planned.target.recipient,
                period_of(planned.job, planned.day),
                now,
                planned.target.team_id,
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
            planned.target.team_id,
            period_of(planned.job, planned.day),
            now,
            report,
            cache,
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
