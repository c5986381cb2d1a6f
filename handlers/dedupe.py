"""A middleware that drops repeated deliveries of the same Slack event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    """Skip an event whose `event_id` was already handled (Slack retries with X-Slack-Retry-Num)."""

    @app.middleware
    def skip_retried_events(
        body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        workspace = body.get("team_id")
        if (
            event_id
            and workspace
            and not services.events.first_delivery(str(workspace), str(event_id))
        ):
            log.info("skipping repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()
