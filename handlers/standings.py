"""`/points` and `/leaderboard`, and sharing a board in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot.domain.parsing import is_help, parse_mention
from bot.services import Services
from handlers import blocks, ids
from handlers.listen import then
from handlers.replies import answer_errors, workspace_of


def register(app: App, services: Services) -> None:
    """Attach the standings listeners to `app`."""

    def points(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        caller = command["user_id"]

        def work() -> None:
            if is_help(command.get("text") or ""):
                respond(response_type="ephemeral", text=blocks.POINTS_HELP)
                return
            member = parse_mention(command.get("text") or "")
            summary = services.standings.points(workspace_of(context), caller, member)
            respond(response_type="ephemeral", **blocks.points_message(summary, caller))

        answer_errors(respond, work, "/points")

    def leaderboard(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
        caller = command["user_id"]
        text = (command.get("text") or "").strip()

        def work() -> None:
            if is_help(text):
                respond(response_type="ephemeral", text=blocks.LEADERBOARD_HELP)
                return
            board = services.standings.leaderboard(workspace_of(context), caller, text)
            respond(
                response_type="ephemeral",
                **blocks.board_message(board, caller, share_value=text or "-"),
            )

        answer_errors(respond, work, "/leaderboard")

    def share(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        caller = body["user"]["id"]
        text = "" if action.get("value") in (None, "-") else str(action["value"])

        def work() -> None:
            board = services.standings.leaderboard(workspace_of(context), caller, text)
            message = blocks.board_message(board, viewer=None, shared_by=caller)
            respond(response_type="in_channel", replace_original=False, **message)

        answer_errors(respond, work, "share leaderboard")

    then(app.command(ids.COMMAND_POINTS), points)
    then(app.command(ids.COMMAND_LEADERBOARD), leaderboard)
    then(app.action(ids.ACTION_SHARE_BOARD), share)
