"""Slack listeners: parse the request, call a service, render Block Kit."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import api_tokens, dedupe, home, log, okr, okr_buttons, scheduled, standings


def register_all(app: App, services: Services) -> None:
    """Attach every middleware and listener to `app`."""
    dedupe.register(app, services)
    log.register(app, services)
    standings.register(app, services)
    okr.register(app, services)
    okr_buttons.register(app, services)
    home.register(app, services)
    scheduled.register(app, services)
    api_tokens.register(app, services)
