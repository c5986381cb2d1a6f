"""Use cases. Each takes plain arguments, runs in one unit of work and returns plain data."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.activities import ActivityService
from bot.services.context import ServiceContext
from bot.services.events import EventService
from bot.services.okrs import OkrService
from bot.services.setup import SetupService
from bot.services.standings import StandingsService


@dataclass(frozen=True)
class Services:
    """Every use case, wired to one database and clock."""

    activities: ActivityService
    standings: StandingsService
    setup: SetupService
    events: EventService
    okrs: OkrService

    @classmethod
    def create(cls, ctx: ServiceContext) -> Services:
        """Build all services on one context."""
        return cls(
            ActivityService(ctx),
            StandingsService(ctx),
            SetupService(ctx),
            EventService(ctx),
            OkrService(ctx),
        )
