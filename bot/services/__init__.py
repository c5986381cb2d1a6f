"""Use cases. Each takes plain arguments, runs in one unit of work and returns plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.schedule import DEFAULT_GRACE
from bot.services.activities.service import ActivityService
from bot.services.activities.standings import StandingsService
from bot.services.context import ServiceContext
from bot.services.events import EventService
from bot.services.install.installs import InstallService
from bot.services.install.setup import SetupService
from bot.services.integrations.api import ApiService
from bot.services.integrations.csv_export import CsvExport
from bot.services.integrations.hooks import HookService
from bot.services.integrations.okr_import import OkrImport
from bot.services.integrations.webhooks import WebhookSend, WebhookService
from bot.services.okrs.service import OkrService
from bot.services.schedule.messages import Delivery, DeliveryError, Outbox, Scheduled
from bot.services.schedule.scheduler import SchedulerService


@dataclass(frozen=True, kw_only=True)
class Services:
    """Every use case, wired to one database and clock."""

    activities: ActivityService
    standings: StandingsService
    setup: SetupService
    events: EventService
    okrs: OkrService
    scheduler: SchedulerService
    installs: InstallService
    api: ApiService
    exports: CsvExport
    hooks: HookService
    webhooks: WebhookService
    okr_import: OkrImport

    @classmethod
    def create(
        cls,
        ctx: ServiceContext,
        outbox: Outbox | None = None,
        grace: timedelta = DEFAULT_GRACE,
        webhook_send: WebhookSend | None = None,
    ) -> Services:
        """Build all services on one context; scheduled messages go to `outbox`."""
        activities = ActivityService(ctx)
        okrs = OkrService(ctx)
        standings = StandingsService(ctx)
        api = ApiService(ctx, activities, okrs, standings)
        setup = SetupService(ctx)
        return cls(
            activities=activities,
            standings=standings,
            setup=setup,
            events=EventService(ctx),
            okrs=okrs,
            scheduler=SchedulerService(ctx, outbox or NoOutbox(), grace=grace),
            installs=InstallService(ctx),
            api=api,
            exports=CsvExport(ctx),
            hooks=HookService(ctx, api),
            webhooks=WebhookService(ctx, webhook_send),
            okr_import=OkrImport(ctx, setup),
        )


class NoOutbox:
    """For commands that never send scheduled messages (import, export, db)."""

    def deliver(self, workspace: str, message: Scheduled, key: str) -> Delivery:
        raise DeliveryError("this command cannot send Slack messages", retry=True)

    def find(
        self, workspace: str, message: Scheduled, key: str, since: datetime
    ) -> Delivery | None:
        raise DeliveryError("this command cannot read Slack messages", retry=True)
