"""What the services ask of one workspace's scheduled sends and reactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.models import ScheduledSend


class ScheduleRepository(Protocol):
    """One workspace's scheduled-send claims and the reactions to its posts."""

    workspace_id: str

    def add_reaction(
        self, channel: str, ts: str, user_id: str, reaction: str, *, now: datetime
    ) -> bool: ...

    def claim(
        self,
        key: str,
        job: str,
        recipient: str,
        period: str,
        *,
        now: datetime,
        team_id: int | None = None,
    ) -> bool:
        """Insert the send's unique key; False when someone already claimed it (never send then)."""
        ...

    def finish(
        self,
        key: str,
        status: str,
        now: datetime,
        channel: str | None = None,
        *,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of a send."""
        ...

    def give_up(self, claimed_before: datetime, max_attempts: int) -> int:
        """Mark failed the claims whose senders died mid-send `max_attempts` times."""
        ...

    def is_our_post(self, channel: str, ts: str) -> bool: ...

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` were already claimed."""
        ...

    def last_post(self, job: str, recipient: str, before_period: str) -> ScheduledSend | None:
        """The latest sent message of `job` to `recipient` for an earlier period."""
        ...

    def reaction_count(self, channel: str, ts: str) -> int: ...

    def send(self, key: str) -> ScheduledSend | None:
        """The send claimed under `key`, if any."""
        ...

    def plan(
        self, key: str, job: str, recipient: str, period: str, *, now: datetime, **more: Any
    ) -> bool:
        """Queue a send for any sender to claim; False when its key is already known."""
        ...

    def renew(self, key: str, seen_claimed_at: datetime, now: datetime) -> bool:
        """Renew this sender's claim just before sending; False if another took it over."""
        ...

    def abandon_unsent(self, reason: str) -> int:
        """Give up every send not made yet (the workspace uninstalled okrbot)."""
        ...

    def take_over(self, key: str, seen_claimed_at: datetime, now: datetime) -> bool:
        """Re-claim an unfinished send whose claim is older than expected (its sender died);"""
        ...

    def unfinished(self, claimed_before: datetime, max_attempts: int) -> list[ScheduledSend]:
        """Claims not sent yet: their sender crashed, or sending failed and may be retried."""
        ...
