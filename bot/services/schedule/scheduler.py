"""Scheduled jobs: who is due, claim each message's key, deliver once, resume what a crash left;
the jobs' settings (on or off, time away, reactions), the messages sent when someone acts
(a manager's nudge, ownership invitations), and the listing of jobs."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.domain.errors import NotAllowed, UserError
from bot.domain.periods import local_date
from bot.domain.schedule import (
    DEFAULT_GRACE,
    FAILED,
    JOBS,
    Job,
    due_day,
    next_day,
    occurrence,
    off_day,
    period_of,
    send_key,
)
from bot.domain.schedule_settings import (
    JobSettings,
    schedule_for,
    schedules_from_json,
    schedules_to_json,
)
from bot.services.context import ServiceContext, ensure_member
from bot.services.okrs.consent import approvers, invitations
from bot.services.schedule.messages import (
    ApprovalRequest,
    AssignmentInvite,
    ManagerNudge,
    Outbox,
)
from bot.services.schedule.schedule_targets import Roster, Target
from bot.services.schedule.sender import KR_APPROVAL, KR_INVITE, MANAGER_NUDGE, RunReport, Sender
from bot.services.schedule.workspace_data import WorkspaceData

log = logging.getLogger(__name__)
TZ_REFRESH = timedelta(days=1)


class NudgeOutcome(enum.Enum):
    SENT = "sent"
    ALREADY_NUDGED = "already nudged today"
    ACTIVE = "has logged since the digest"


@dataclass(frozen=True, kw_only=True)
class JobInfo:
    workspace: str
    job: Job
    schedule: str
    basis: str
    next_run: datetime | None
    recipients: int
    timezone: str = "UTC"  # the workspace's


@dataclass(frozen=True)
class Planned:
    job: Job
    target: Target
    day: date
    key: str


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

    def settings(self, workspace: str) -> list[tuple[Job, str, bool]]:
        """Each job with its workspace-level schedule and whether it is on."""
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            config = schedules_from_json(ws.schedules if ws else None)
        return [
            (job, schedule_for(job, config).describe(), schedule_for(job, config).enabled)
            for job in Job
        ]

    def switch(
        self, workspace: str, user: str, job: Job, enabled: bool, *, is_admin: Callable[[], bool]
    ) -> None:
        """Switch a job on or off for the whole workspace (admins only)."""
        if not is_admin():
            raise NotAllowed("Only workspace admins can change scheduled messages.")
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            assert ws is not None
            config = schedules_from_json(ws.schedules)
            settings = config.get(job, JobSettings())
            config[job] = replace(settings, change=replace(settings.change, enabled=enabled))
            ws.schedules = schedules_to_json(config)
            uow.commit()

    def record_reaction(
        self, workspace: str, channel: str, ts: str, user: str, *, reaction: str
    ) -> bool:
        """Remember a reaction on one of our posts; False for other messages or a repeat."""
        with self.ctx.uow() as uow:
            schedule = uow.schedule(workspace)
            if not schedule.is_our_post(channel, ts):
                return False
            added = schedule.add_reaction(channel, ts, user, reaction, now=self.ctx.clock.now())
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

    sender: Sender

    max_attempts: int

    resume_after: timedelta

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
                key, MANAGER_NUDGE, rep, local_date(now, tz).isoformat(), now=now
            )
            uow.commit()
        if not claimed:
            return NudgeOutcome.ALREADY_NUDGED
        self.sender.deliver(workspace, key, ManagerNudge(rep, manager), now, report=RunReport())
        return NudgeOutcome.SENT

    def _claim_once(self, workspace: str, key: str, job: str, recipient: str, *, ref: str) -> bool:
        """Claim a one-off send: the first time, or again when it failed a while ago."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            schedule = uow.schedule(workspace)
            earlier = schedule.send(key)
            if earlier is None:
                claimed = schedule.claim(key, job, recipient, ref, now=now)
            else:  # asked before: again only if that send failed, a while ago
                claimed = (
                    earlier.status == FAILED
                    and earlier.attempts < self.max_attempts
                    and earlier.claimed_at < now - self.resume_after
                    and schedule.take_over(key, earlier.claimed_at, now)
                )
            if claimed and job == KR_INVITE:
                kr = uow.okrs(workspace).key_result_by_ref(ref)
                if kr is not None:
                    kr.invited_at = now
            uow.commit()
        return claimed

    def send_approval_requests(self, workspace: str) -> RunReport:
        """Ask the managers (or, without one, the admins) of each key result whose points wait
        for approval, once each, to approve them."""
        now, report = self.ctx.clock.now(), RunReport()
        with self.ctx.uow() as uow:
            repo, okrs = uow.repo(workspace), uow.okrs(workspace)
            objectives = {o.id: o for o in okrs.all_objectives()}
            pending = [
                (approver, kr.ref, kr.title, objectives[kr.objective_id], kr.owner_id, kr.points)
                for kr in okrs.unapproved_key_results()
                if kr.objective_id in objectives
                for approver in approvers(repo, kr)
            ]
        for approver, ref, title, objective, owner, points in pending:
            key = f"{KR_APPROVAL}:{workspace}:{ref}:{approver}"
            if not self._claim_once(workspace, key, KR_APPROVAL, approver, ref=ref):
                report.already += 1
                continue
            where = f"{objective.ref} · {objective.title}"
            message = ApprovalRequest(
                user=approver, ref=ref, title=title, objective=where, owner=owner, points=points
            )
            self.sender.deliver(workspace, key, message, now, report=report)
        return report

    def send_invitations(self, workspace: str) -> RunReport:
        """Ask each new owner, once, to accept the key result someone gave them; and each
        approver, once, to approve the points of a key result that waits for them."""
        now, report = self.ctx.clock.now(), RunReport()
        with self.ctx.uow() as uow:
            okrs = uow.okrs(workspace)
            objectives = {o.id: o for o in okrs.all_objectives()}
            pending = invitations(okrs.unaccepted_key_results(), objectives)
        for invitation in pending:
            key = f"{KR_INVITE}:{workspace}:{invitation.ref}"
            if not self._claim_once(
                workspace, key, KR_INVITE, invitation.owner, ref=invitation.ref
            ):
                report.already += 1
                continue
            message = AssignmentInvite(
                user=invitation.owner,
                ref=invitation.ref,
                title=invitation.title,
                objective=f"{invitation.objective_ref} · {invitation.objective_title}",
                assigned_by=invitation.assigned_by,
                points=invitation.points,
            )
            self.sender.deliver(workspace, key, message, now, report=report)
        approvals = self.send_approval_requests(workspace)
        report.sent += approvals.sent
        report.already += approvals.already
        report.failed += approvals.failed
        return report

    ctx: ServiceContext

    def jobs(self) -> list[JobInfo]:
        """Each job of each workspace with its schedule and next run."""
        now = self.ctx.clock.now()
        infos = []
        for workspace in self._workspaces():
            with self.ctx.uow() as uow:
                ws = uow.repo(workspace).workspace()
                assert ws is not None
                config, timezone = schedules_from_json(ws.schedules), ws.timezone
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
                        workspace=workspace,
                        job=job,
                        schedule=schedule_for(job, config).describe(),
                        basis=basis,
                        next_run=first,
                        recipients=len(plans),
                        timezone=timezone,
                    )
                )
        return infos
