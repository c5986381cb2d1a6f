"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.services import Services
from handlers import blocks, ids, okr_blocks
from handlers.listen import then
from handlers.replies import workspace_of


def register(app: App, services: Services) -> None:
    """Publish the dashboard whenever a member opens the Home tab."""

    def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        workspace = workspace_of(context)
        if body.get("api_app_id"):
            services.scheduler.remember_app_id(workspace, str(body["api_app_id"]))
        summary = services.standings.points(workspace, user)
        board = services.standings.leaderboard(workspace, user, "")
        okrs = okr_blocks.home_okr_blocks(services.okrs.home(workspace, user))
        client.views_publish(user_id=user, view=blocks.home_view(summary, board, okrs))

    then(app.event(ids.EVENT_APP_HOME_OPENED), home_opened)
