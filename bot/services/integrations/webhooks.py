"""Webhooks out: subscriptions to a workspace's events, and their deliveries, signed by the
edge (Standard Webhooks), retried with backoff, every outcome recorded."""

from __future__ import annotations

import base64
import http.client
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.errors import NotFound, UserError
from bot.services.context import ServiceContext

log = logging.getLogger(__name__)
EVENTS = ("activity.logged", "checkin.created", "key_result.achieved", "cycle.closed")
BACKOFF = (60, 300, 1800, 7200, 28800)  # seconds before each retry; then it has failed
LEASE = timedelta(minutes=10)  # a delivery whose sender died is tried again after this


class WebhookSend(Protocol):
    """Posts one signed delivery; returns the HTTP status, raises OSError when unreachable
    and ValueError when the URL may not be posted to."""

    def check(self, url: str) -> None:
        """ValueError saying why `url` may not be posted to."""
        ...

    def __call__(self, url: str, secret: str, message_id: str, body: str) -> int: ...


@dataclass(frozen=True)
class Subscription:
    id: int
    url: str
    events: tuple[str, ...]
    revoked: bool


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class WebhookService:
    """Subscriptions, and sending what they are owed."""

    def __init__(self, ctx: ServiceContext, send: WebhookSend | None = None) -> None:
        self.ctx, self.send = ctx, send

    def subscribe(self, workspace: str, url: str, events: Sequence[str]) -> tuple[int, str]:
        """A new subscription's id and signing secret (`whsec_…`, shown this once)."""
        unknown = sorted(set(events) - set(EVENTS))
        if unknown or not events:
            raise UserError(
                f"Events must be some of {', '.join(EVENTS)}; got {', '.join(unknown) or 'none'}."
            )
        if self.send is None:
            raise UserError("Webhooks cannot be added here: okrbot has no way to send them.")
        try:
            self.send.check(url)  # resolved now, and again at every delivery
        except ValueError as refused:
            raise UserError(f"`{url[:100]}` {refused}.") from None
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            if repo.workspace() is None:
                raise NotFound(f"There is no workspace {workspace} here.")
            row = repo.add_subscription(url, sorted(set(events)), secret, self.ctx.clock.now())
            repo.renew_config_version()  # every process starts queueing for it
            uow.commit()
            return row.id, secret

    def subscriptions(self, workspace: str) -> list[Subscription]:
        with self.ctx.uow() as uow:
            return [
                Subscription(s.id, s.url, tuple(s.events), s.revoked_at is not None)
                for s in uow.repo(workspace).subscriptions(live_only=False)
            ]

    def unsubscribe(self, workspace: str, subscription_id: int) -> None:
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            if not repo.revoke_subscription(subscription_id, self.ctx.clock.now()):
                raise NotFound(f"{workspace} has no live webhook {subscription_id}.")
            repo.renew_config_version()
            uow.commit()

    def deliver_due(self, batch: int = 20, most: int = 200) -> DeliveryReport:
        """Send deliveries that are due, a batch at a time, at most `most` a pass (the next
        pass takes the rest); retry failures later."""
        if self.send is None:
            return DeliveryReport()
        sent = retrying = failed = 0
        for _ in range(max(1, most // batch)):
            now = self.ctx.clock.now()
            with self.ctx.uow() as uow:
                claimed = uow.claim_webhooks(now, batch, now + LEASE)
                uow.commit()
            if not claimed:
                break
            for delivery, subscription in claimed:
                outcome = self._attempt(
                    delivery.message_id,
                    subscription.url,
                    subscription.secret,
                    delivery.payload,
                    attempts=delivery.attempts,
                    now=now,
                )
                with self.ctx.uow() as uow:
                    uow.finish_webhook(delivery.id, **outcome)
                    uow.commit()
                status = outcome["status"]
                sent += status == "sent"
                retrying += status == "pending"
                failed += status == "failed"
        return DeliveryReport(sent, retrying, failed)

    def _attempt(
        self,
        message_id: str,
        url: str,
        secret: str,
        payload: dict[str, object],
        *,
        attempts: int,
        now: datetime,
    ) -> dict[str, object]:
        assert self.send is not None
        body = json.dumps(payload, separators=(",", ":"))
        try:
            code: int | None = self.send(url, secret, message_id, body)
            error = None if code is not None and 200 <= code < 300 else f"answered {code}"
        except ValueError as refused:  # it now resolves where okrbot may not post
            code, error = None, f"refused: {refused}"
        except (OSError, http.client.HTTPException) as problem:
            code, error = None, f"unreachable: {problem}"
        if error is None:
            return {"status": "sent", "last_status": code, "last_error": None, "sent_at": now}
        if attempts < len(BACKOFF):
            retry = now + timedelta(seconds=BACKOFF[attempts])
            return {
                "status": "pending",
                "last_status": code,
                "last_error": error,
                "next_attempt_at": retry,
            }
        log.warning("webhook %s to %s failed for good: %s", message_id, url, error)
        return {"status": "failed", "last_status": code, "last_error": error}
