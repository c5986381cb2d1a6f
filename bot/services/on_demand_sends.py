"""Messages sent when someone acts, not on a schedule: a manager's nudge, ownership invitations."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from bot.domain.errors import NotAllowed
from bot.domain.periods import local_date
from bot.domain.schedule import FAILED
from bot.services.consent import approvers, invitations
from bot.services.context import ServiceContext, ensure_member
from bot.services.messages import (
    ApprovalRequest,
    AssignmentInvite,
    ManagerNudge,
)
from bot.services.sender import KR_APPROVAL, KR_INVITE, MANAGER_NUDGE, RunReport, Sender


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
