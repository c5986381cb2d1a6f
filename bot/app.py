"""The composition root: engine -> services -> Bolt app -> WSGI app, and the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy.engine import Engine

from bot.clock import Clock, SystemClock
from bot.domain.schedule import DEFAULT_GRACE
from bot.pool import BoundedPool
from bot.scheduler_runner import SchedulerRunner
from bot.services import Services
from bot.services.context import ServiceContext
from bot.services.messages import Outbox
from bot.settings import Settings
from bot.slack_outbox import SlackOutbox
from bot.web import HealthCheck, make_wsgi_app
from handlers import register_all, scheduled_blocks
from handlers.directory import SlackProfiles
from handlers.listen import capacity
from storage.db import make_engine, ping, unit_of_work_factory
from storage.leader import LeaderLock

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


@dataclass(frozen=True)
class Runtime:
    """Everything a running okrbot is made of."""

    settings: Settings
    engine: Engine
    services: Services
    bolt: App
    wsgi: WSGIApplication
    pool: BoundedPool


def slack_client(settings: Settings) -> WebClient:
    """A Web API client for replies: waits out 429s (Retry-After), retries 5xx and network errors."""
    client = WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(max_retry_count=2)]
    )
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client


def outbox_client(client: WebClient) -> WebClient:
    """A client without automatic retries: the outbox paces and retries scheduled sends itself."""
    return WebClient(token=client.token, base_url=client.base_url, retry_handlers=[])


def build_services(
    engine: Engine,
    clock: Clock,
    client: WebClient | None = None,
    outbox: Outbox | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> Services:
    """The use cases on `engine`. With a Slack client, profiles come from Slack and scheduled
    messages go out through a paced outbox."""
    if client is None:
        return Services.create(ServiceContext(unit_of_work_factory(engine), clock), outbox, grace)
    # Profiles are asked for on the way to an answer: a short timeout and no retries.
    lookups = WebClient(token=client.token, base_url=client.base_url, timeout=2, retry_handlers=[])
    context = ServiceContext(unit_of_work_factory(engine), clock, SlackProfiles(lookups))
    outbox = outbox or SlackOutbox(outbox_client(client), scheduled_blocks.render)
    return Services.create(context, outbox, grace)


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
    """Wire okrbot together. Calls Slack's auth.test once to check the bot token."""
    engine = engine or make_engine(settings.database_url, settings.database_timeout)
    client = slack_client(settings)
    grace = timedelta(hours=settings.scheduler_grace_hours)
    services = build_services(engine, clock or SystemClock(), client, outbox, grace)
    bolt_logger = logging.getLogger("okrbot.slack")
    if not any(isinstance(f, _DropTokenUnusedWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_DropTokenUnusedWarning())
    pool = BoundedPool(workers=settings.workers, queue=settings.workers * 4)
    bolt = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        request_verification_enabled=not settings.socket_mode,
        process_before_response=True,
        logger=bolt_logger,
        listener_executor=pool,
    )
    capacity.has_room = pool.has_room
    register_all(bolt, services)
    wsgi = make_wsgi_app(SlackRequestHandler(bolt), HealthCheck(lambda: ping(engine)))
    return Runtime(settings, engine, services, bolt, wsgi, pool)


def build_scheduler(runtime: Runtime, interval: int = 60) -> SchedulerRunner:
    """The scheduler for `runtime`, run by whichever replica holds the lock."""
    services = runtime.services
    return SchedulerRunner(
        services.scheduler, LeaderLock(runtime.engine), interval, [services.events.prune]
    )
