"""What the API's use cases ask of one workspace's storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.models import (
        ActivityLog,
        ApiRequest,
        ApiToken,
        HeldHook,
        WebhookDelivery,
        WebhookSubscription,
    )


class ApiRepository(Protocol):
    """A workspace's API tokens, answers kept for idempotent POSTs, and pages of its log."""

    def add_api_token(
        self, name: str, token_hash: str, hint: str, scopes: Sequence[str], *, now: datetime
    ) -> ApiToken: ...

    def api_tokens(self) -> list[ApiToken]: ...

    def hold_hook(self, source: str, payload: str, problem: str, now: datetime) -> int | None:
        """Hold a CRM payload that could not be logged; None when too many are waiting."""
        ...

    def held_hooks(self, ids: Sequence[int] | None = None) -> list[HeldHook]:
        """Held payloads not logged yet, oldest first."""
        ...

    def revoke_api_token(self, token_id: int, now: datetime) -> bool:
        """Revoke a live token of this workspace; False when there is none with that id."""
        ...

    def api_request(self, token_id: int, key: str) -> ApiRequest | None: ...

    def add_api_request(self, token_id: int, key: str, body_hash: str, **answer: Any) -> None:
        """Keep a POST's answer under its Idempotency-Key; Duplicate when one is kept."""
        ...

    def complete_api_request(
        self, token_id: int, key: str, status: int, answer: dict[str, Any]
    ) -> None: ...

    def drop_api_request(self, token_id: int, key: str) -> None: ...

    def forget_api_requests(self, before: datetime) -> int: ...

    def activity_page(
        self,
        users: Sequence[str] | None,
        since: datetime,
        until: datetime,
        after: int,
        *,
        size: int,
    ) -> list[tuple[ActivityLog, str]]:
        """Logs not undone in [since, until), oldest first, after the log with id `after`."""
        ...

    def add_subscription(
        self, url: str, events: Sequence[str], secret: str, now: datetime
    ) -> WebhookSubscription: ...

    def subscriptions(self, *, live_only: bool = True) -> list[WebhookSubscription]: ...

    def revoke_subscription(self, subscription_id: int, now: datetime) -> bool: ...

    def emit(
        self,
        event_type: str,
        data: dict[str, Any],
        now: datetime,
        subscribers: Sequence[tuple[int, Sequence[str]]] | None = None,
    ) -> None:
        """Queue an event for the subscriptions that want it."""
        ...

    def deliveries(self) -> list[WebhookDelivery]: ...
