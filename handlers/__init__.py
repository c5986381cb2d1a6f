"""Slack listeners: parse the request, call a service, render Block Kit."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.services import Services
from handlers import dedupe, home
from handlers.activities import log, standings
from handlers.integrations import api_tokens
from handlers.okrs import okr, okr_buttons
from handlers.replies import log_failure
from handlers.schedule import scheduled


def listener_failed(error: Exception, body: dict[str, Any]) -> None:
    """What a listener raised: a database outage in one line, anything else with its
    traceback (Bolt's default would print a traceback for both)."""
    what = body.get("command") or body.get("type") or "a request"
    log_failure(str(what), error)


def register_all(app: App, services: Services) -> None:
    """Attach every middleware and listener to `app`."""
    app.error(listener_failed)
    dedupe.register(app, services)
    log.register(app, services)
    standings.register(app, services)
    okr.register(app, services)
    okr_buttons.register(app, services)
    home.register(app, services)
    scheduled.register(app, services)
    api_tokens.register(app, services)
