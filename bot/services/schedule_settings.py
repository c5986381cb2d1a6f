"""Settings around scheduled messages: jobs switched on or off, reactions, time away."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from bot.domain.errors import NotAllowed, UserError
from bot.domain.periods import local_date
from bot.domain.schedule import Job
from bot.domain.schedule_settings import (
    JobSettings,
    schedule_for,
    schedules_from_json,
    schedules_to_json,
)
from bot.services.context import ServiceContext, ensure_member


class ScheduleSettings:
    """What admins and members change about scheduled messages (part of SchedulerService)."""

    ctx: ServiceContext

    def settings(self, workspace: str) -> list[tuple[Job, str, bool]]:
        """Each job with its workspace-level schedule and whether it is on."""
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            config = schedules_from_json(ws.schedules if ws else None)
        return [
            (job, schedule_for(job, config).describe(), schedule_for(job, config).enabled)
            for job in Job
        ]

    def switch(
        self, workspace: str, user: str, job: Job, enabled: bool, *, is_admin: Callable[[], bool]
    ) -> None:
        """Switch a job on or off for the whole workspace (admins only)."""
        if not is_admin():
            raise NotAllowed("Only workspace admins can change scheduled messages.")
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            assert ws is not None
            config = schedules_from_json(ws.schedules)
            settings = config.get(job, JobSettings())
            config[job] = replace(settings, change=replace(settings.change, enabled=enabled))
            ws.schedules = schedules_to_json(config)
            uow.commit()

    def record_reaction(
        self, workspace: str, channel: str, ts: str, user: str, *, reaction: str
    ) -> bool:
        """Remember a reaction on one of our posts; False for other messages or a repeat."""
        with self.ctx.uow() as uow:
            schedule = uow.schedule(workspace)
            if not schedule.is_our_post(channel, ts):
                return False
            added = schedule.add_reaction(channel, ts, user, reaction, now=self.ctx.clock.now())
            uow.commit()
            return added

    def remember_app_id(self, workspace: str, app_id: str) -> None:
        """Keep the app's id, for 'Open dashboard' links in scheduled messages."""
        with self.ctx.uow() as uow:
            ws = uow.repo(workspace).workspace()
            if ws is not None and ws.app_id != app_id:
                ws.app_id = app_id
                uow.commit()

    def set_away(self, workspace: str, user: str, until: date | None) -> None:
        """Pause (until a date, included) or resume a member's nudges and reminders."""
        self.ctx.warm(workspace, user)
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            tz = ensure_member(self.ctx, repo, user)
            if until is not None and until < local_date(self.ctx.clock.now(), tz):
                raise UserError(
                    f"{until.isoformat()} has already passed; give a date from today on."
                )
            member = repo.member(user)
            assert member is not None
            member.away_until = until
            uow.commit()
