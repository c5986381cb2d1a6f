"""A request's deadline: the moment by which its answer is given, after which nothing the
request started may be kept.

Slack shows its own error when an answer takes more than 3 seconds. A listener that answers
in the acknowledgement runs its work under a Deadline (handlers.replies.in_time); storage
reads the deadline of the work it serves (`current()`), bounds its waits by it, refuses to
start or keep anything once it has passed, and registers how to cut what is in flight. The
watchdog expires a deadline that passes while its work still runs, which cuts it: the work
fails at once, in its own thread, and answers that nothing was saved.
"""

from __future__ import annotations

import heapq
import itertools
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
        self.kept = False  # whether the work kept (committed) something: note_kept()
        self._keeping = threading.Lock()  # held while something is kept (a commit)
        self._cutting = threading.Lock()  # held while cancellers change or run
        self._cancels: dict[int, Cancel] = {}
        self.finished = False  # its work is over: the watchdog leaves it be

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

    def on_expire(self, key: int, cancel: Cancel) -> None:
        """Call `cancel` on expiry while `key` is registered (a connection in use); at once
        when the deadline has expired already."""
        with self._cutting:
            if self._expired:
                cancel()
                return
            self._cancels[key] = cancel

    def forget(self, key: int) -> None:
        with self._cutting:
            self._cancels.pop(key, None)

    def expire(self, wait_for_commit: float = 0.1) -> None:
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


class Watchdog:
    """One thread that expires the deadlines that pass while their work still runs, within
    `tick` seconds of passing. Watching costs a request a heap push."""

    def __init__(self, tick: float = 0.05) -> None:
        self._tick = tick
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._lock:
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="okrbot-deadlines", daemon=True
                )
                self._thread.start()
            elif len(self._heap) == 1:
                self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._lock.wait()
                self._lock.wait(timeout=max(self._tick, self._heap[0][0] - time.monotonic()))
                now, due = time.monotonic(), []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for deadline in due:
                if not deadline.finished:
                    deadline.expire()


watchdog = Watchdog()


_current: ContextVar[Deadline | None] = ContextVar("okrbot_deadline", default=None)


def note_kept() -> None:
    """Say that the current work has kept (committed) what it writes."""
    deadline = _current.get()
    if deadline is not None:
        deadline.kept = True


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
