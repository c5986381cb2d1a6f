"""APScheduler drives the scheduler: the planner ticks once a minute on the process holding
the lock; senders (on PostgreSQL, in any number of processes) claim planned sends every few
seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.services.schedule.scheduler import SchedulerService
from storage.schedule.leader import LeaderLock

log = logging.getLogger(__name__)
TICK_ID = "okrbot-scheduler-tick"
SEND_ID = "okrbot-sender"
SEND_INTERVAL = 5  # seconds between a sender's looks for planned sends
ALONGSIDE_INTERVAL = 30


class SchedulerRunner:
    """Ticks every `interval` seconds; only the lock holder does any work."""

    def __init__(
        self,
        service: SchedulerService,
        leader: LeaderLock,
        interval: int = 60,
        housekeeping: Sequence[Callable[[], object]] = (),
        *,
        alongside: Sequence[Callable[[], object]] = (),
    ) -> None:
        self.service, self.leader, self.interval = service, leader, interval
        self.housekeeping = list(housekeeping)  # small chores the leader does every tick
        # Work any process may do, each on its own thread every ALONGSIDE_INTERVAL seconds,
        # so a slow one (a webhook receiver that times out) never holds up the tick.
        self.alongside = list(alongside)
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

    def send(self) -> None:
        """One sender pass: send what the planner queued, whoever leads."""
        try:
            report = self.service.send_planned()
            if report.sent or report.failed:
                log.info("sender: %s", report.line())
        except Exception:
            log.exception("sender pass failed")

    def _configure(
        self, scheduler: BaseScheduler, *, planner: bool = True, sender: bool = False
    ) -> BaseScheduler:
        soon = datetime.now(UTC) + timedelta(seconds=2)
        jobs: list[tuple[bool, Callable[[], object], int, str]] = [
            (planner, self.tick, self.interval, TICK_ID),
            (sender, self.send, SEND_INTERVAL, SEND_ID),
        ]
        jobs += [
            (True, _guarded(chore), ALONGSIDE_INTERVAL, f"okrbot-alongside-{n}")
            for n, chore in enumerate(self.alongside)
        ]
        for wanted, job, seconds, job_id in jobs:
            if wanted:
                scheduler.add_job(
                    job,
                    "interval",
                    seconds=seconds,
                    id=job_id,
                    replace_existing=True,
                    max_instances=1,
                    coalesce=True,
                    next_run_time=soon,
                )
        return scheduler

    def start(self, *, sender: bool = False) -> None:
        """Run in the background (inside `okrbot serve`), with a sender too if asked."""
        self._scheduler = self._configure(BackgroundScheduler(timezone=UTC), sender=sender)
        self._scheduler.start()
        log.info(
            "scheduler started: a tick every %d s%s",
            self.interval,
            ", and a sender" if sender else "",
        )

    def run_forever(self, *, planner: bool = True) -> None:
        """Run in the foreground: the planner (`okrbot scheduler`), or a sender alone
        (`okrbot sender`)."""
        scheduler = BlockingScheduler(timezone=UTC)
        self._scheduler = self._configure(scheduler, planner=planner, sender=not planner)
        log.info("%s running", "scheduler" if planner else "sender")
        try:
            self._scheduler.start()
        finally:
            self.leader.release()

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.leader.release()


def _guarded(chore: Callable[[], object]) -> Callable[[], object]:
    def run() -> None:
        try:
            chore()
        except Exception:
            log.exception("%s failed", getattr(chore, "__qualname__", chore))

    return run
