"""Sending scheduled messages exactly once: build, deliver, record, and resume after a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.domain.schedule import FAILED, SENT, SKIPPED, Job
from bot.services.context import ServiceContext
from bot.services.schedule.messages import DeliveryError, Digest, Outbox, Scheduled
from bot.services.schedule.scheduled_content import build_message
from bot.services.schedule.workspace_data import WorkspaceData

log = logging.getLogger(__name__)
MANAGER_NUDGE = "manager-nudge"
KR_INVITE = "kr-invite"
KR_APPROVAL = "kr-approval"
NOT_RESUMED = (MANAGER_NUDGE, KR_INVITE, KR_APPROVAL)  # sent on demand, not by a job
RESEND_LOOKBACK = timedelta(minutes=1)  # slack of clocks between us and Slack


@dataclass(kw_only=True)
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


class Sender:
    """Turns claimed sends into Slack messages, once each, and finishes what a crash left."""

    def __init__(
        self, ctx: ServiceContext, outbox: Outbox, resume_after: timedelta, max_attempts: int
    ) -> None:
        self.ctx, self.outbox = ctx, outbox
        self.resume_after, self.max_attempts = resume_after, max_attempts

    def _build(
        self,
        workspace: str,
        job: Job,
        recipient: str,
        team_id: int | None,
        *,
        period: str,
        now: datetime,
        cache: dict[str, WorkspaceData],
    ) -> Scheduled | None:
        with self.ctx.uow() as uow:
            return build_message(
                uow, workspace, job, recipient, team_id=team_id, period=period, now=now, cache=cache
            )

    def send(
        self,
        workspace: str,
        key: str,
        job: Job,
        recipient: str,
        *,
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
            message = self._build(
                workspace, job, recipient, team_id, period=period, now=now, cache=cache
            )
        except Exception as error:
            log.exception("could not build %s", key)
            self.finish(workspace, key, FAILED, now, error=f"build: {error}")
            report.failed += 1
            return
        if message is None:
            self.finish(workspace, key, SKIPPED, now)
            report.skipped += 1
            return
        if isinstance(message, Digest) and message.manager:
            message = self._with_names(workspace, message, now)
        if sent_since is not None and self._already_delivered(
            workspace, key, message, sent_since, now=now, report=report
        ):
            return
        self.deliver(workspace, key, message, now, report=report)

    def _already_delivered(
        self,
        workspace: str,
        key: str,
        message: Scheduled,
        since: datetime,
        *,
        now: datetime,
        report: RunReport,
    ) -> bool:
        """Whether Slack has the message of an interrupted send; it is then marked sent."""
        try:
            found = self.outbox.find(workspace, message, key, since)
        except DeliveryError as error:  # can't tell: sending again risks one duplicate
            log.warning("could not look up %s before resending it: %s", key, error)
            return False
        if found is None:
            return False
        log.info("%s was already in Slack (%s %s): marked sent", key, found.channel, found.ts)
        self.finish(workspace, key, SENT, now, channel=found.channel, ts=found.ts)
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

    def deliver(
        self, workspace: str, key: str, message: Scheduled, now: datetime, *, report: RunReport
    ) -> None:
        try:
            delivery = self.outbox.deliver(workspace, message, key)
        except DeliveryError as error:
            log.warning("sending %s failed: %s", key, error)
            self.finish(workspace, key, FAILED, now, error=str(error))
            report.failed += 1
            report.errors.append(f"{key}: {error}")
            return
        except Exception as error:  # a message that can't be rendered: fail it, not the run
            log.exception("could not send %s", key)
            self.finish(workspace, key, FAILED, now, error=f"render: {error}")
            report.failed += 1
            report.errors.append(f"{key}: {error}")
            return
        self.finish(
            workspace, key, SENT, self.ctx.clock.now(), channel=delivery.channel, ts=delivery.ts
        )
        report.sent += 1

    def finish(
        self, workspace: str, key: str, status: str, now: datetime, **outcome: str | None
    ) -> None:
        with self.ctx.uow() as uow:
            uow.schedule(workspace).finish(key, status, now, **outcome)
            uow.commit()

    def resume(
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
                self.send(
                    workspace,
                    key,
                    Job(job),
                    recipient,
                    team_id=team_id,
                    period=period,
                    now=now,
                    report=report,
                    cache=cache,
                    sent_since=first_claimed - RESEND_LOOKBACK,
                )
