"""Installing and uninstalling: the welcome after an install, the page when one fails, and
what happens when a workspace removes okrbot."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.oauth.callback_options import FailureArgs, SuccessArgs
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.slack_edge import SlackEdge
from handlers import ids
from handlers.blockkit import context, section

log = logging.getLogger(__name__)

WHY_NOT_INSTALLED = {
    "invalid_browser": "the install was started in another browser, or its cookie is gone",
    "invalid_state": "the install link was used already or is more than 10 minutes old",
    "missing_code": "Slack's answer had no install code",
    "invalid_code": "Slack did not accept the install code (it may have been used already)",
    "access_denied": "the install was cancelled in Slack",
    "storage_error": "okrbot could not save the installation",
}


def welcome_message(installer: str) -> dict[str, Any]:
    """The DM to whoever installed okrbot: what it does, and the next three steps."""
    steps = (
        "*1. Log your first activity:* type `/log call 3` in any channel. Every activity "
        "earns points; `/log help` lists them.\n"
        "*2. Set up your teams and goals:* `/okr new` creates an objective with its key "
        "results, or import a whole playbook with `okrbot import playbook.yaml` (README).\n"
        "*3. Open okrbot's Home tab:* your dashboard, and as the first admin, the switches "
        "for nudges, digests and leaderboards."
    )
    return {
        "text": "okrbot is installed: here are the next three steps.",
        "blocks": [
            section(
                f":wave: Hi <@{installer}>, okrbot is installed. It puts effort and results "
                "on one scoreboard: points for every activity your team logs, and for every "
                "key result it hits."
            ),
            section(steps),
            context("You are this workspace's first okrbot admin."),
        ],
    }


class Welcome:
    """Bolt's OAuth callbacks: set the workspace up and welcome the installer, or explain."""

    def __init__(self, services: Services, edge: SlackEdge) -> None:
        self.services, self.edge = services, edge

    def success(self, args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        team, installer = installation.team_id, installation.user_id
        if team is None:  # an org-wide install: okrbot is installed workspace by workspace
            return self._page(400, "okrbot installs to one workspace at a time.")
        self.services.installs.install(team, installer)
        try:
            self.edge.client_for(team).chat_postMessage(
                channel=installer, **welcome_message(installer)
            )
        except (SlackApiError, OSError) as error:
            log.warning("the welcome message to %s in %s failed: %s", installer, team, error)
        return args.default.success(args)

    def failure(self, args: FailureArgs) -> BoltResponse:
        why = WHY_NOT_INSTALLED.get(args.reason, f"Slack said {args.reason}")
        return self._page(
            args.suggested_status_code,
            f"okrbot was not installed: {why}. "
            '<a href="/slack/install">Start the install again</a>.',
        )

    @staticmethod
    def _page(status: int, message: str) -> BoltResponse:
        body = (
            "<!doctype html><html><head><meta charset='utf-8'><title>okrbot</title></head>"
            f"<body><h1>okrbot</h1><p>{message}</p></body></html>"
        )
        return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html"})


def uninstalled(
    services: Services,
    forget: Callable[[str], None] | None,
    ack: Ack,
    event: dict[str, Any],
    *,
    context: BoltContext,
) -> None:
    """The app was removed, or its bot token revoked: stop every send for the workspace
    now. Its data is kept 30 days, for a reinstall, then deleted. With one bot token from the
    settings (`forget` None) nothing is switched off: the operator sets the new token."""
    team = context.team_id or ""
    revoked = event.get("type") == ids.EVENT_APP_UNINSTALLED or bool(
        (event.get("tokens") or {}).get("bot")
    )
    if team and revoked:
        if forget is None:  # one workspace on SLACK_BOT_TOKEN
            log.warning(
                "okrbot's bot token for %s was revoked: reinstall the app and set the new "
                "SLACK_BOT_TOKEN; until then Slack refuses what okrbot sends",
                team,
            )
        else:
            services.installs.uninstall(team)
            forget(team)
    ack()


def register(app: App, services: Services, forget: Callable[[str], None] | None) -> None:
    """Listen for okrbot being removed from a workspace."""

    def listener(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        uninstalled(services, forget, ack, event, context=context)

    for name in (ids.EVENT_APP_UNINSTALLED, ids.EVENT_TOKENS_REVOKED):
        app.event(name)(listener)
