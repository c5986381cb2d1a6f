"""Listing the scheduled jobs: each one's schedule, next run and how many it reaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.schedule import JOBS, Job, occurrence
from bot.domain.schedule_settings import schedule_for, schedules_from_json
from bot.services.context import ServiceContext

if TYPE_CHECKING:
    from bot.services.scheduler import Planned


@dataclass(frozen=True, kw_only=True)
class JobInfo:
    workspace: str
    job: Job
    schedule: str
    basis: str
    next_run: datetime | None
    recipients: int
    timezone: str = "UTC"  # the workspace's


class JobListing:
    """`okrbot jobs list` (part of SchedulerService)."""

    ctx: ServiceContext

    def _workspaces(self) -> list[str]:
        raise NotImplementedError

    def _plan(
        self, workspace: str, jobs: list[Job], now: datetime, *, due_only: bool
    ) -> list[Planned]:
        raise NotImplementedError

    def jobs(self) -> list[JobInfo]:
        """Each job of each workspace with its schedule and next run."""
        now = self.ctx.clock.now()
        infos = []
        for workspace in self._workspaces():
            with self.ctx.uow() as uow:
                ws = uow.repo(workspace).workspace()
                assert ws is not None
                config, timezone = schedules_from_json(ws.schedules), ws.timezone
            everything = self._plan(workspace, list(Job), now, due_only=False)
            for job in Job:
                plans = [p for p in everything if p.job is job]
                first = min(
                    (
                        occurrence(
                            p.day, schedule_for(job, config, p.target.team_name).at, p.target.tz
                        )
                        for p in plans
                    ),
                    default=None,
                )
                basis = JOBS[job].basis
                infos.append(
                    JobInfo(
                        workspace=workspace,
                        job=job,
                        schedule=schedule_for(job, config).describe(),
                        basis=basis,
                        next_run=first,
                        recipients=len(plans),
                        timezone=timezone,
                    )
                )
        return infos
