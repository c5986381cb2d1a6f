"""The composition root: engine -> services -> Bolt app -> WSGI app, and the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from bot.api.app import build_api
from bot.clock import Clock, SystemClock
from bot.domain.schedule import DEFAULT_GRACE
from bot.pool import BoundedPool
from bot.scheduler_runner import SchedulerRunner
from bot.services import Services
from bot.services.context import ServiceContext
from bot.services.schedule.messages import Outbox
from bot.settings import Settings
from bot.slack_directory import SlackEmails, SlackGroups, SlackProfiles
from bot.slack_edge import SingleToken, SlackEdge, make_client
from bot.slack_install import INSTALL_PATH, REDIRECT_PATH, oauth_parts, oauth_settings
from bot.slack_outbox import SlackOutbox
from bot.web import HealthCheck, make_wsgi_app
from bot.webhook_transport import WebhookPoster
from handlers import register_all
from handlers.install import install
from handlers.listen import capacity
from handlers.schedule import scheduled_blocks
from storage.db import make_engine, ping, unit_of_work_factory
from storage.schedule.leader import LeaderLock

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


@dataclass(frozen=True, kw_only=True)
class Runtime:
    """Everything a running okrbot is made of."""

    settings: Settings
    engine: Engine
    services: Services
    bolt: App
    wsgi: WSGIApplication
    pool: BoundedPool


def build_services(
    engine: Engine,
    clock: Clock,
    edge: SlackEdge | None = None,
    outbox: Outbox | None = None,
    *,
    grace: timedelta = DEFAULT_GRACE,
    webhooks: WebhookPoster | None = None,
) -> Services:
    """The use cases on `engine`. With a Slack edge, profiles come from Slack and scheduled
    messages go out through a paced outbox. Webhooks go out through `webhooks` (by default
    one that posts to public addresses only)."""
    post_webhook = webhooks or WebhookPoster()
    if edge is None:
        context = ServiceContext(uow=unit_of_work_factory(engine), clock=clock)
        return Services.create(context, outbox, grace, post_webhook)
    context = ServiceContext(
        uow=unit_of_work_factory(engine),
        clock=clock,
        profiles=SlackProfiles(edge),
        emails=SlackEmails(edge),
        groups=SlackGroups(edge),
    )
    outbox = outbox or SlackOutbox(edge, scheduled_blocks.render)
    return Services.create(context, outbox, grace, post_webhook)


class _DropTokenUnusedWarning(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN from the environment and warns that the client's wins;
    both are the same token here, so the warning would only mislead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_runtime(
    settings: Settings,
    clock: Clock | None = None,
    engine: Engine | None = None,
    outbox: Outbox | None = None,
) -> Runtime:
    """Wire okrbot together: one bot token, or installations to any workspace over OAuth."""
    engine = engine or make_engine(settings.database_url, settings.database_timeout)
    installs = oauth_parts(settings, engine) if settings.oauth else None
    edge = (
        installs.edge if installs else SingleToken(settings.slack_bot_token, settings.slack_api_url)
    )
    grace = timedelta(hours=settings.scheduler_grace_hours)
    webhooks = WebhookPoster(allow_private=settings.webhooks_allow_private)
    services = build_services(
        engine, clock or SystemClock(), edge, outbox, grace=grace, webhooks=webhooks
    )
    bolt_logger = logging.getLogger("okrbot.slack")
    if not any(isinstance(f, _DropTokenUnusedWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DropTokenUnusedWarning())
    pool = BoundedPool(workers=settings.workers, queue=settings.workers * 4)
    oauth: dict[str, Any] = {}
    if installs is not None:
        welcome = install.Welcome(services, installs.edge)
        oauth = {  # requests read the same bot rows the edge reads and rotates
            "installation_store": installs.store,
            "installation_store_bot_only": True,
            "oauth_settings": oauth_settings(settings, installs, welcome.success, welcome.failure),
        }
    bolt = App(
        client=make_client(settings.slack_bot_token or None, settings.slack_api_url),
        signing_secret=settings.slack_signing_secret or None,
        request_verification_enabled=not settings.socket_mode,
        process_before_response=True,
        logger=bolt_logger,
        listener_executor=pool,
        **oauth,
    )
    capacity.has_room = pool.has_room
    register_all(bolt, services)
    install.register(bolt, services, installs.edge.forget if installs else None)
    oauth_paths = (INSTALL_PATH, REDIRECT_PATH) if installs else ()
    wsgi = make_wsgi_app(
        SlackRequestHandler(bolt),
        HealthCheck(lambda: ping(engine)),
        oauth_paths,
        build_api(services),
        signing_secret=None if settings.socket_mode else settings.slack_signing_secret or None,
    )
    return Runtime(
        settings=settings, engine=engine, services=services, bolt=bolt, wsgi=wsgi, pool=pool
    )


def build_scheduler(runtime: Runtime, interval: int = 60) -> SchedulerRunner:
    """The scheduler for `runtime`, run by whichever replica holds the lock."""
    services = runtime.services
    return SchedulerRunner(
        services.scheduler,
        LeaderLock(runtime.engine),
        interval,
        [
            services.events.prune,
            services.installs.purge_uninstalled,
            services.setup.refresh_usergroups_when_due,
        ],
        alongside=[services.webhooks.deliver_due],
    )
