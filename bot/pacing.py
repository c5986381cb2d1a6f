"""Pacing sends: at most one message per interval per channel, and a rate per workspace."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Pacer:
    """Tells how long to wait before the next message to a channel may go out."""

    now: Callable[[], float]  # a monotonic clock, in seconds
    sleep: Callable[[float], None]
    per_channel: float = 1.0  # seconds between messages to one channel
    per_second: float = 20.0  # messages per second to one workspace
    _channel_free: dict[str, float] = field(default_factory=dict)
    _workspace_free: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the tick and the sender

    def wait(self, workspace: str, channel: str) -> float:
        """Sleep until a message to `channel` in `workspace` is allowed, then book the slot;
        return the wait. One busy workspace never delays another's messages."""
        with self._lock:  # book the slot, then wait for it outside the lock
            start = self.now()
            ready = max(
                start,
                self._channel_free.get(channel, 0.0),
                self._workspace_free.get(workspace, 0.0),
            )
            self._channel_free[channel] = ready + self.per_channel
            self._workspace_free[workspace] = ready + 1.0 / self.per_second
        if ready > start:
            self.sleep(ready - start)
        return ready - start

    def hold(self, channel: str, seconds: float) -> None:
        """Slack asked us to back off (429 Retry-After): nothing to `channel` before then."""
        with self._lock:
            until = self.now() + seconds
            self._channel_free[channel] = max(self._channel_free.get(channel, 0.0), until)
