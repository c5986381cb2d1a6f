"""Deduplication of Slack deliveries: retried events and replayed requests."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import Repeated
from bot.services.context import ServiceContext
from bot.services.ports import WorkspaceRepository

KEEP_FOR = timedelta(days=1)  # Slack retries an event for about an hour; replays expire in 5 min
KEY_LIMIT = 64


def delivery_key(kind: str, value: str) -> str:
    """A key that fits the table: `event:Ev123`, or a digest of a long or odd value."""
    key = f"{kind}:{value}"
    if len(key) <= KEY_LIMIT and key.isascii():
        return key
    return f"{kind}#" + hashlib.sha256(value.encode()).hexdigest()[: KEY_LIMIT - len(kind) - 1]


def claim_request(repo: WorkspaceRepository, key: str | None, now: datetime) -> None:
    """Claim `key` in the caller's transaction (which then writes what it asks for); Repeated
    when it was claimed before. A transaction that fails gives the key back with it."""
    if key is not None and not repo.claim_event(delivery_key("request", key), now):
        raise Repeated(key)


class EventService:
    """Remembers which Slack deliveries were handled so a repeated one is skipped."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def first_delivery(self, workspace_id: str, key: str) -> bool:
        """True the first time `key` arrives for this workspace, False for every repeat."""
        with self.ctx.uow() as uow:
            claimed = uow.repo(workspace_id).claim_event(key, self.ctx.clock.now())
            uow.commit()
            return claimed

    def remember_answer(self, workspace_id: str, key: str, answer: dict[str, Any]) -> None:
        """Keep the answer a request got, for its repeats."""
        with self.ctx.uow() as uow:
            uow.repo(workspace_id).set_event_answer(delivery_key("request", key), answer)
            uow.commit()

    def answer_of(self, workspace_id: str, key: str) -> dict[str, Any] | None:
        """The answer the first of these requests got, if it was kept."""
        with self.ctx.uow() as uow:
            return uow.repo(workspace_id).event_answer(delivery_key("request", key))

    def prune(self) -> int:
        """Forget deliveries older than a day; return how many were forgotten."""
        with self.ctx.uow() as uow:
            removed = uow.forget_deliveries(self.ctx.clock.now() - KEEP_FOR)
            uow.commit()
            return removed
