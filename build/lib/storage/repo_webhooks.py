"""A workspace's webhook subscriptions and the deliveries queued for them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from storage.models import HeldHook, WebhookDelivery, WebhookSubscription
from storage.repo_base import RepoBase, table_of

HELD_LIMIT = 1000  # held CRM payloads kept per workspace, waiting for a retry


class WebhookQueries(RepoBase):
    """Subscriptions, events queued for them in the caller's transaction, and CRM payloads
    held for a retry."""

    def hold_hook(self, source: str, payload: str, problem: str, now: datetime) -> int | None:
        """Hold a payload that could not be logged; None when HELD_LIMIT are waiting."""
        waiting = self.session.scalar(
            select(func.count())
            .select_from(HeldHook)
            .where(HeldHook.workspace_id == self.workspace_id, HeldHook.logged_at.is_(None))
        )
        if (waiting or 0) >= HELD_LIMIT:
            return None
        row = HeldHook(
            workspace_id=self.workspace_id,
            source=source,
            payload=payload,
            problem=problem,
            received_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def held_hooks(self, ids: Sequence[int] | None = None) -> list[HeldHook]:
        """Held payloads not logged yet, oldest first (only `ids`, when given)."""
        query = select(HeldHook).where(
            HeldHook.workspace_id == self.workspace_id, HeldHook.logged_at.is_(None)
        )
        if ids is not None:
            query = query.where(HeldHook.id.in_(list(ids)))
        return list(self.session.scalars(query.order_by(HeldHook.id)))

    def add_subscription(
        self, url: str, events: Sequence[str], secret: str, now: datetime
    ) -> WebhookSubscription:
        row = WebhookSubscription(
            workspace_id=self.workspace_id,
            url=url,
            events=list(events),
            secret=secret,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def subscriptions(self, *, live_only: bool = True) -> list[WebhookSubscription]:
        query = select(WebhookSubscription).where(
            WebhookSubscription.workspace_id == self.workspace_id
        )
        if live_only:
            query = query.where(WebhookSubscription.revoked_at.is_(None))
        return list(self.session.scalars(query.order_by(WebhookSubscription.id)))

    def revoke_subscription(self, subscription_id: int, now: datetime) -> bool:
        statement = (
            update(table_of(WebhookSubscription))
            .where(
                WebhookSubscription.workspace_id == self.workspace_id,
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(WebhookSubscription.id)
        )
        if self.session.connection().execute(statement).first() is None:
            return False
        unsent = (
            update(table_of(WebhookDelivery))
            .where(
                WebhookDelivery.workspace_id == self.workspace_id,
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.status.in_(["pending", "sending"]),
            )
            .values(status="failed", last_error="the subscription was removed")
        )
        self.session.execute(unsent)
        return True

    def queue_event(
        self,
        subscription_ids: Sequence[int],
        event_type: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        """Queue `payload` for each subscription, in one statement."""
        rows = [
            {
                "workspace_id": self.workspace_id,
                "subscription_id": subscription_id,
                "message_id": "msg_" + secrets.token_hex(12),
                "event_type": event_type,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for subscription_id in subscription_ids
        ]
        if rows:
            self.session.connection().execute(insert(table_of(WebhookDelivery)), rows)

    def emit(
        self,
        event_type: str,
        data: dict[str, Any],
        now: datetime,
        subscribers: Sequence[tuple[int, Sequence[str]]] | None = None,
    ) -> None:
        """Queue an event for the subscriptions that want it (`subscribers`, when the caller
        knows them, saves reading them)."""
        if subscribers is None:
            subscribers = [(s.id, s.events) for s in self.subscriptions()]
        wanted = [id_ for id_, events in subscribers if event_type in events]
        envelope = {"type": event_type, "timestamp": now.isoformat(), "data": data}
        self.queue_event(wanted, event_type, envelope, now)

    def deliveries(self) -> list[WebhookDelivery]:
        query = select(WebhookDelivery).where(WebhookDelivery.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(WebhookDelivery.id)))
