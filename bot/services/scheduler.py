"""Scheduled jobs: who is due, claim each message's key, deliver once, resume what a crash left."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import assert_never

from bot.domain.errors import NotAllowed, UserError
from bot.domain.periods import local_date, zone
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
from bot.services.digests import WorkspaceData, build_digest, build_leaderboard_post
from bot.services.messages import (
    AssignmentInvite,
    DeliveryError,
    Digest,
    ManagerNudge,
    Outbox,
    Scheduled,
)
from bot.services.reminders import build_nudge, build_reminder
from bot.services.schedule_targets import Roster, Target
from storage.db import UnitOfWork
from storage.schedule_repository import FAILED, SENT, SKIPPED

log = logging.getLogger(__name__)
TZ_REFRESH = timedelta(days=1)
MANAGER_NUDGE = "manager-nudge"
KR_INVITE = "kr-invite"
NOT_RESUMED = (MANAGER_NUDGE, KR_INVITE)  # sent on demand, not by a job
RESEND_LOOKBACK = timedelta(minutes=1)  # slack of clocks between us and Slack


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


@dataclass
class RunReport:
    """What a tick or a `jobs run` did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    already: int = 0
    resumed: int = 0
    recovered: int = 0  # resumed sends Slack already had
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.sent} sent, {self.skipped} not needed, {self.already} already sent or claimed, "
            f"{self.failed} failed, {self.resumed} resumed"
            + (f" ({self.recovered} already in Slack)" if self.recovered else "")
        )


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
        self.ctx, self.outbox = ctx, outbox
        self.grace, self.resume_after, self.max_attempts = grace, resume_after, max_attempts
        self.tz_refresh_batch = tz_refresh_batch

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
                self._resume(workspace, now, report, cache)
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
        self._deliver(workspace, key, ManagerNudge(rep, manager), now, RunReport())
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
            self._deliver(workspace, key, message, now, report)
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
        self._build_and_deliver(
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

    def _build_and_deliver(
        self,
        workspace: str,
        key: str,
        job: Job,
        recipient: str,
        team_id: int | None,
        period: str,
        now: datetime,
        report: RunReport,
        cache: dict[str, WorkspaceData],
        sent_since: datetime | None = None,
    ) -> None:
        """Build the message and send it. With `sent_since` (a resumed claim), first ask Slack
        whether an earlier attempt already delivered it, and only send it if not."""
        try:
            message = self._build(workspace, job, recipient, team_id, period, now, cache)
        except Exception as error:
            log.exception("could not build %s", key)
            self._finish(workspace, key, FAILED, now, error=f"build: {error}")
            report.failed += 1
            return
        if message is None:
            self._finish(workspace, key, SKIPPED, now)
            report.skipped += 1
            return
        if isinstance(message, Digest) and message.manager:
            message = self._with_names(workspace, message, now)
        if sent_since is not None and self._already_delivered(
            workspace, key, message, sent_since, now, report
        ):
            return
        self._deliver(workspace, key, message, now, report)

    def _already_delivered(
        self,
        workspace: str,
        key: str,
        message: Scheduled,
        since: datetime,
        now: datetime,
        report: RunReport,
    ) -> bool:
        """Whether Slack has the message of an interrupted send; it is then marked sent."""
        try:
            found = self.outbox.find(message, key, since)
        except DeliveryError as error:  # can't tell: sending again risks one duplicate
            log.warning("could not look up %s before resending it: %s", key, error)
            return False
        if found is None:
            return False
        log.info("%s was already in Slack (%s %s): marked sent", key, found.channel, found.ts)
        self._finish(workspace, key, SENT, now, channel=found.channel, ts=found.ts)
        report.recovered += 1
        return True

    def _with_names(self, workspace: str, digest: Digest, now: datetime) -> Digest:
        """Ask Slack for the names the digest shows on buttons and does not know yet."""
        missing = [user for user in digest.inactive if user not in digest.names]
        if not missing:
            return digest
        found = {}
        for user in missing:
            name = self.ctx.profiles(workspace, user).name
            if name:
                found[user] = name
        if found:
            with self.ctx.uow() as uow:
                repo = uow.repo(workspace)
                for user, name in found.items():
                    member = repo.member(user)
                    if member is not None:
                        member.name = name
                uow.commit()
        return replace(digest, names={**digest.names, **found})

    def _deliver(
        self, workspace: str, key: str, message: Scheduled, now: datetime, report: RunReport
    ) -> None:
        try:
            delivery = self.outbox.deliver(message, key)
        except DeliveryError as error:
            log.warning("sending %s failed: %s", key, error)
            self._finish(workspace, key, FAILED, now, error=str(error))
            report.failed += 1
            report.errors.append(f"{key}: {error}")
            return
        except Exception as error:  # a message that can't be rendered: fail it, not the run
            log.exception("could not send %s", key)
            self._finish(workspace, key, FAILED, now, error=f"render: {error}")
            report.failed += 1
            report.errors.append(f"{key}: {error}")
            return
        self._finish(
            workspace, key, SENT, self.ctx.clock.now(), channel=delivery.channel, ts=delivery.ts
        )
        report.sent += 1

    def _finish(
        self, workspace: str, key: str, status: str, now: datetime, **outcome: str | None
    ) -> None:
        with self.ctx.uow() as uow:
            uow.schedule(workspace).finish(key, status, now, **outcome)
            uow.commit()

    def _resume(
        self, workspace: str, now: datetime, report: RunReport, cache: dict[str, WorkspaceData]
    ) -> None:
        """Claims older than a few minutes and never finished: their sender died, or sending failed."""
        with self.ctx.uow() as uow:
            uow.schedule(workspace).give_up(now - self.resume_after, self.max_attempts)
            uow.commit()
        with self.ctx.uow() as uow:
            stale = [
                (
                    row.key,
                    row.job,
                    row.recipient,
                    row.team_id,
                    row.period,
                    row.claimed_at,
                    row.first_claimed_at or row.claimed_at,
                )
                for row in uow.schedule(workspace).unfinished(
                    now - self.resume_after, self.max_attempts
                )
                if row.job not in NOT_RESUMED
            ]
        for key, job, recipient, team_id, period, claimed_at, first_claimed in stale:
            with self.ctx.uow() as uow:
                won = uow.schedule(workspace).take_over(key, claimed_at, now)
                uow.commit()
            if won:
                report.resumed += 1
                self._build_and_deliver(
                    workspace,
                    key,
                    Job(job),
                    recipient,
                    team_id,
                    period,
                    now,
                    report,
                    cache,
                    sent_since=first_claimed - RESEND_LOOKBACK,
                )

    # -- content -----------------------------------------------------------------------------------
    def _build(
        self,
        workspace: str,
        job: Job,
        recipient: str,
        team_id: int | None,
        period: str,
        now: datetime,
        cache: dict[str, WorkspaceData],
    ) -> Scheduled | None:
        with self.ctx.uow() as uow:
            match job:
                case Job.ACTIVITY_NUDGE:
                    return build_nudge(uow, workspace, recipient, now)
                case Job.CHECKIN_REMINDER:
                    return build_reminder(uow, workspace, recipient, now)
                case Job.MANAGER_DIGEST if team_id is not None:
                    # last week as the manager lives it: from their own Monday
                    data = _digest_data(uow, workspace, now, cache, recipient)
                    return build_digest(data, team_id, manager=recipient, channel=None)
                case Job.TEAM_DIGEST if team_id is not None:
                    data = _digest_data(uow, workspace, now, cache, None)
                    return build_digest(data, team_id, manager=None, channel=recipient)
                case Job.LEADERBOARD_POST if team_id is not None:
                    data = _board_data(uow, workspace, now, cache)
                    return build_leaderboard_post(data, uow.schedule(workspace), team_id, period)
                case Job.MANAGER_DIGEST | Job.TEAM_DIGEST | Job.LEADERBOARD_POST:
                    return None  # a team's message without its team
                case _:
                    assert_never(job)

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


def _digest_data(
    uow: UnitOfWork,
    workspace: str,
    now: datetime,
    cache: dict[str, WorkspaceData],
    manager: str | None,
) -> WorkspaceData:
    """The data behind digests of the week just ended: in the manager's own calendar, or the
    workspace's for a team digest; loaded once per calendar and run."""
    calendar = None
    if manager is not None:
        member = uow.repo(workspace).member(manager)
        calendar = zone(member.timezone) if member and member.timezone else None
    key = f"digest:{calendar}"
    if key not in cache:
        cache[key] = WorkspaceData(
            uow.repo(workspace),
            uow.okrs(workspace),
            now,
            week_of=now - timedelta(days=1),
            calendar=calendar,
        )
    return cache[key]


def _board_data(
    uow: UnitOfWork, workspace: str, now: datetime, cache: dict[str, WorkspaceData]
) -> WorkspaceData:
    """The data behind this week's leaderboard posts, with streaks; loaded once per run."""
    if "board" not in cache:
        cache["board"] = WorkspaceData(
            uow.repo(workspace), uow.okrs(workspace), now, week_of=now, streaks=True
        )
    return cache["board"]
