"""Idempotency-Key for the API's POSTs: the first answer kept 24 hours, a concurrent repeat
told to wait (part of ApiService)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from bot.domain.errors import Duplicate, UserError
from bot.services.api_types import Caller, InProgress
from bot.services.context import ServiceContext

KEEP_KEYS = timedelta(hours=24)
STALE = timedelta(minutes=5)  # a request still "in progress" after this has died


class IdempotencyKeys:
    """Reserve a key before the work, keep the answer after it, release it on failure."""

    ctx: ServiceContext

    # -- idempotency ------------------------------------------------------------------------
    def begin(self, caller: Caller, key: str, body: bytes) -> tuple[int, dict[str, object]] | None:
        """Reserve an Idempotency-Key for this request, or the answer an earlier request
        with it got. UserError when that request had another body; InProgress while it is
        still being answered (one abandoned for 5 minutes is taken over)."""
        body_hash = hashlib.sha256(body).hexdigest()
        for _attempt in range(3):
            now = self.ctx.clock.now()
            with self.ctx.uow() as uow:
                repo = uow.repo(caller.workspace)
                repo.forget_api_requests(now - KEEP_KEYS)
                seen = repo.api_request(caller.token_id, key)
                if seen is None:
                    try:
                        repo.add_api_request(
                            caller.token_id, key, body_hash, status=0, answer={}, now=now
                        )
                    except Duplicate:
                        continue  # reserved a moment ago by a concurrent request: read it
                    uow.commit()
                    return None
                if seen.body_hash != body_hash:
                    raise UserError(
                        "This Idempotency-Key was used with another body: use a new key for a new request.",
                        field="Idempotency-Key",
                    )
                if seen.status:
                    return seen.status, dict(seen.answer)
                if seen.created_at > now - STALE:
                    raise InProgress(
                        "A request with this Idempotency-Key is still being answered; retry in a moment."
                    )
                repo.drop_api_request(caller.token_id, key)  # its request died: take over
                uow.commit()
        raise InProgress(
            "A request with this Idempotency-Key is still being answered; retry in a moment."
        )

    def finish(self, caller: Caller, key: str, status: int, answer: dict[str, object]) -> None:
        """Keep the answer under its key for 24 hours."""
        with self.ctx.uow() as uow:
            uow.repo(caller.workspace).complete_api_request(
                caller.token_id, key, status, dict(answer)
            )
            uow.commit()

    def abandon(self, caller: Caller, key: str) -> None:
        """The request failed: its key may be used again."""
        with self.ctx.uow() as uow:
            uow.repo(caller.workspace).drop_api_request(caller.token_id, key)
            uow.commit()
