"""The worker pool that runs what cannot be done inside Slack's acknowledgement."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class BoundedPool(ThreadPoolExecutor):
    """A thread pool that takes at most `workers + queue` tasks at a time and drops more (with
    a warning: callers check `has_room` first and tell the user to retry), and that can be
    drained: finish everything accepted, within a grace period."""

    def __init__(self, workers: int = 16, queue: int = 64) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="okrbot-work")
        self.capacity = workers + queue
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._idle = threading.Condition()
        self._pending = 0

    def has_room(self) -> bool:
        """Whether a task submitted now would be taken."""
        with self._idle:
            return self._pending < self.capacity

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not self._slots.acquire(blocking=False):
            log.warning("worker pool full: dropped %s", getattr(fn, "__name__", fn))
            dropped: Future[Any] = Future()
            dropped.cancel()
            return dropped
        with self._idle:
            self._pending += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
                self._slots.release()

        try:
            return super().submit(run)
        except BaseException:
            with self._idle:
                self._pending -= 1
            self._slots.release()
            raise

    @property
    def pending(self) -> int:
        """Tasks accepted and not finished."""
        with self._idle:
            return self._pending

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until no accepted task is left; True if none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def drain(self, grace: float) -> bool:
        """Wait up to `grace` seconds for every accepted task; True when all finished."""
        finished = self.wait_idle(grace)
        self.shutdown(wait=finished)
        return finished
