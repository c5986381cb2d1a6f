"""A request's deadline: the moment by which its answer is given, after which nothing the
request started may be kept.

Slack shows its own error when an answer takes more than 3 seconds. A listener that answers
in the acknowledgement runs its work under a Deadline (handlers.replies.in_time); storage
reads the deadline of the work it serves (`current()`), refuses to start or keep anything
once it has passed, and registers how to cut what is in flight, which `expire()` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from bot.domain.errors import Busy


class TooLate(Busy):
    """The request's deadline passed: its answer was given without this, and nothing of it
    was kept."""


Cancel = Callable[[], None]


class Deadline:
    """`seconds` from now: the monotonic moment and the same moment in UTC."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.utc = datetime.now(UTC) + timedelta(seconds=seconds)
        self._expired = False
        self.kept = False  # whether something was kept (committed) before it passed
        self._keeping = threading.Lock()  # held while something is kept (a commit)
        self._cutting = threading.Lock()  # held while cancellers change or run
        self._cancels: dict[int, Cancel] = {}

    def remaining(self) -> float:
        """Seconds left, 0 once passed."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self._expired

    def check(self) -> None:
        """TooLate once the answer was given without this work."""
        if self._expired:
            raise TooLate("the answer was already given; nothing was kept")

    @contextmanager
    def keeping(self) -> Iterator[None]:
        """Around a commit: refused once expired, and `expire()` waits (briefly) for one in
        progress, so the answer knows whether it happened."""
        with self._keeping:
            self.check()
            yield
            self.kept = True

    def on_expire(self, key: int, cancel: Cancel) -> None:
        """Call `cancel` on expiry while `key` is registered (a connection in use)."""
        with self._cutting:
            self._cancels[key] = cancel

    def forget(self, key: int) -> None:
        with self._cutting:
            self._cancels.pop(key, None)

    def expire(self, wait_for_commit: float = 0.25) -> None:
        """Give up: nothing is kept from now on, and what is in flight is cut. A commit in
        progress is waited for up to `wait_for_commit` seconds; past that, the database's
        own check of the deadline refuses it (storage.deadline_guard)."""
        got = self._keeping.acquire(timeout=wait_for_commit)
        try:
            self._expired = True
        finally:
            if got:
                self._keeping.release()
        with self._cutting:
            for cancel in self._cancels.values():
                cancel()
            self._cancels.clear()


_current: ContextVar[Deadline | None] = ContextVar("okrbot_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the work running in this thread, if it has one."""
    return _current.get()


@contextmanager
def running_under(deadline: Deadline) -> Iterator[Deadline]:
    """Run the block under `deadline`."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
