"""Pacing sends: at most one message per interval per channel, and a workspace-wide rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pacer:
    """Tells how long to wait before the next message to a channel may go out."""

    now: Callable[[], float]  # a monotonic clock, in seconds
    sleep: Callable[[float], None]
    per_channel: float = 1.0  # seconds between messages to one channel
    per_second: float = 20.0  # messages per second across the workspace
    _channel_free: dict[str, float] = field(default_factory=dict)
    _next_any: float = 0.0

    def wait(self, channel: str) -> float:
        """Sleep until a message to `channel` is allowed, then book the slot; return the wait."""
        start = self.now()
        ready = max(start, self._channel_free.get(channel, 0.0), self._next_any)
        if ready > start:
            self.sleep(ready - start)
        self._channel_free[channel] = ready + self.per_channel
        self._next_any = ready + 1.0 / self.per_second
        return ready - start

    def hold(self, channel: str, seconds: float) -> None:
        """Slack asked us to back off (429 Retry-After): nothing to `channel` before then."""
        until = self.now() + seconds
        self._channel_free[channel] = max(self._channel_free.get(channel, 0.0), until)
