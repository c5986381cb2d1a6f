"""APScheduler drives the scheduler: one tick a minute, on the process holding the lock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.services.scheduler import SchedulerService
from storage.leader import LeaderLock

log = logging.getLogger(__name__)
TICK_ID = "okrbot-scheduler-tick"


class SchedulerRunner:
    """Ticks every `interval` seconds; only the lock holder does any work."""

    def __init__(
        self,
        service: SchedulerService,
        leader: LeaderLock,
        interval: int = 60,
        housekeeping: Sequence[Callable[[], object]] = (),
    ) -> None:
        self.service, self.leader, self.interval = service, leader, interval
        self.housekeeping = list(housekeeping)  # small chores the leader does every tick
        self._scheduler: BaseScheduler | None = None

    def tick(self) -> None:
        """One pass: send what is due and resume what is unfinished, if we lead."""
        try:
            if not self.leader.acquire():
                return
            report = self.service.tick()
            if report.sent or report.failed or report.resumed:
                log.info("scheduler: %s", report.line())
            for chore in self.housekeeping:
                chore()
        except Exception:
            log.exception("scheduler tick failed")

    def _configure(self, scheduler: BaseScheduler) -> BaseScheduler:
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.interval,
            id=TICK_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=2),
        )
        return scheduler

    def start(self) -> None:
        """Run in the background (inside `okrbot serve`)."""
        self._scheduler = self._configure(BackgroundScheduler(timezone=UTC))
        self._scheduler.start()
        log.info("scheduler started: a tick every %d s", self.interval)

    def run_forever(self) -> None:
        """Run in the foreground (`okrbot scheduler`)."""
        self._scheduler = self._configure(BlockingScheduler(timezone=UTC))
        log.info("scheduler running: a tick every %d s", self.interval)
        try:
            self._scheduler.start()
        finally:
            self.leader.release()

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.leader.release()
