"""`/points` and `/leaderboard`, and sharing a board in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot.domain.parsing import is_help, parse_mention
from bot.services import Services
from handlers import blocks, ids
from handlers.listen import bound, command, then
from handlers.replies import answer_errors, workspace_of


def points(services: Services, command: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    caller, text = command["user_id"], command.get("text") or ""
    if is_help(text):
        return {"text": blocks.POINTS_HELP}
    summary = services.standings.points(workspace_of(context), caller, parse_mention(text))
    return blocks.points_message(summary, caller)


def leaderboard(
    services: Services, command: dict[str, Any], context: BoltContext
) -> dict[str, Any]:
    caller, text = command["user_id"], (command.get("text") or "").strip()
    if is_help(text):
        return {"text": blocks.LEADERBOARD_HELP}
    board = services.standings.leaderboard(workspace_of(context), caller, text)
    return blocks.board_message(board, caller, share_value=text or "-")


def share(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    caller = body["user"]["id"]
    text = "" if action.get("value") in (None, "-") else str(action["value"])

    def work() -> None:
        board = services.standings.leaderboard(workspace_of(context), caller, text)
        message = blocks.board_message(board, viewer=None, shared_by=caller)
        respond(response_type="in_channel", replace_original=False, **message)

    answer_errors(respond, work, "share leaderboard")


def register(app: App, services: Services) -> None:
    """Attach the standings listeners to `app`."""
    command(app, ids.COMMAND_POINTS, bound(points, services), "/points")
    command(app, ids.COMMAND_LEADERBOARD, bound(leaderboard, services), "/leaderboard")
    then(app.action(ids.ACTION_SHARE_BOARD), bound(share, services))
