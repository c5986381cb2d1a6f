"""Deduplication of Slack event deliveries."""

from __future__ import annotations

from bot.services.context import ServiceContext


class EventService:
    """Remembers which Slack events were handled so a retried delivery is skipped."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def first_delivery(self, workspace_id: str, event_id: str) -> bool:
        """True the first time `event_id` arrives for this workspace, False for every retry."""
        with self.ctx.uow() as uow:
            claimed = uow.repo(workspace_id).claim_event(event_id, self.ctx.clock.now())
            uow.commit()
            return claimed
