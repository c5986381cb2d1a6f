"""Messages sent when someone acts, not on a schedule: a manager's nudge, ownership invitations."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from bot.domain.errors import NotAllowed
from bot.domain.periods import local_date
from bot.domain.schedule import FAILED
from bot.services.consent import invitations
from bot.services.context import ServiceContext, ensure_member
from bot.services.messages import (
    AssignmentInvite,
    ManagerNudge,
)
from bot.services.sender import KR_INVITE, MANAGER_NUDGE, RunReport, Sender


class NudgeOutcome(enum.Enum):
    SENT = "sent"
    ALREADY_NUDGED = "already nudged today"
    ACTIVE = "has logged since the digest"


class OnDemandSends:
    """A manager's Nudge button and key-result invitations (part of SchedulerService)."""

    ctx: ServiceContext
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
