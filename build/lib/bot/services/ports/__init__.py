"""What the services need of storage, as protocols: a unit of work and its repositories.

`storage.db.UnitOfWork` is the real one; tests pass fakes that keep rows in memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from bot.services.ports.okrs import OkrRepository
from bot.services.ports.schedule import ScheduleRepository
from bot.services.ports.workspace import WorkspaceRepository

if TYPE_CHECKING:
    from storage.models import ApiToken, ScheduledSend, WebhookDelivery, WebhookSubscription

__all__ = [
    "OkrRepository",
    "ScheduleRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "WorkspaceRepository",
]


class UnitOfWork(Protocol):
    """One transaction: nothing is kept unless `commit()` is called before it ends."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Keep everything done in this unit of work."""

    def repo(self, workspace_id: str, timezone: str | None = None) -> WorkspaceRepository:
        """One workspace's people, catalog, log and points; it can reach no other workspace."""
        ...

    def okrs(self, workspace_id: str) -> OkrRepository:
        """One workspace's OKRs, in the same transaction."""
        ...

    def schedule(self, workspace_id: str) -> ScheduleRepository:
        """One workspace's scheduled sends, in the same transaction."""
        ...

    def workspace_ids(self, *, active_only: bool = False) -> list[str]:
        """Every workspace's Slack team id (only those installed, with `active_only`)."""
        ...

    def uninstalled_before(self, cutoff: datetime) -> list[str]:
        """Workspaces uninstalled before `cutoff`, whose data is due for deletion."""
        ...

    def claim_planned(
        self, now: datetime, limit: int, planned_since: datetime
    ) -> list[ScheduledSend]:
        """Claim up to `limit` planned sends, across workspaces, for this sender to send;
        those planned before `planned_since` are skipped as too late."""
        ...

    def take_api_request(self, token_id: int, now: float, rate: float, burst: float) -> float:
        """Take a request from the token's shared budget: 0, or the seconds to wait."""
        ...

    def find_api_token(self, token_hash: str) -> ApiToken | None:
        """The API token with this hash, whichever workspace it belongs to."""
        ...

    def claim_webhooks(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
        """Claim webhook deliveries due now, across workspaces, for this sender."""
        ...

    def finish_webhook(self, delivery_id: int, **outcome: Any) -> None:
        """Record a delivery attempt and what follows it."""
        ...

    def forget_oauth_states(self, now: datetime) -> int:
        """Forget the OAuth install states that expired before `now`."""
        ...

    def forget_deliveries(self, before: datetime) -> int:
        """Forget the Slack deliveries received before `before`, in every workspace."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
