"""The App Home tab, and the admin's switches for scheduled messages."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.domain.errors import UserError
from bot.domain.schedule import Job
from bot.services import Services
from handlers import blocks, home_blocks, ids
from handlers.integrations import api_token_blocks
from handlers.listen import bound, then
from handlers.replies import workspace_of


def publish_home(services: Services, client: WebClient, workspace: str, user: str) -> None:
    """Build and publish the member's dashboard."""
    summary = services.standings.points(workspace, user)
    board = services.standings.leaderboard(workspace, user, "")
    home = services.okrs.home(workspace, user)
    parts = home_blocks.home_okr_blocks(home)
    if home.admin:
        settings = [
            (job.value, describe, on)
            for job, describe, on in services.scheduler.settings(workspace)
        ]
        parts += home_blocks.schedule_blocks(settings)
        parts += api_token_blocks.token_blocks(services.api.tokens(workspace))
    mine = [kr.ref for o in home.mine.objectives for kr in o.key_results if kr.owner_id == user]
    view = blocks.home_view(
        summary,
        board,
        parts,
        manages=bool(home.teams) or home.admin,
        example_ref=mine[0] if mine else None,
    )
    client.views_publish(user_id=user, view=view)


def home_opened(
    services: Services,
    event: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    if event.get("tab", "home") != "home":
        return
    workspace = workspace_of(context)
    if body.get("api_app_id"):
        services.scheduler.remember_app_id(workspace, str(body["api_app_id"]))
    publish_home(services, client, workspace, event["user"])


def switch_job(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    job, _, state = str(action.get("value") or "").partition(":")
    try:
        services.scheduler.switch(
            workspace,
            user,
            Job(job),
            state == "on",
            is_admin=lambda: services.okrs.user_is_admin(workspace, user),
        )
    except (UserError, ValueError) as error:
        message = error.message if isinstance(error, UserError) else "Unknown job."
        client.chat_postMessage(channel=user, text=f":warning: {message}")
        return
    publish_home(services, client, workspace, user)


def register(app: App, services: Services) -> None:
    """Publish the dashboard whenever a member opens the Home tab."""
    then(app.event(ids.EVENT_APP_HOME_OPENED), bound(home_opened, services))
    then(app.action(ids.ACTION_SWITCH_JOB), bound(switch_job, services))
