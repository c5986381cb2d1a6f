"""Buttons on scheduled messages, and reactions to leaderboard posts."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot.services import Services
from handlers import blocks, ids
from handlers.listen import then
from handlers.replies import answer_errors, workspace_of


def register(app: App, services: Services) -> None:
    """Attach the listeners for nudges, digests and reactions."""

    def log_from_nudge(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        user = body["user"]["id"]
        message_ts = (body.get("container") or {}).get("message_ts") or action.get("action_ts", "")

        def work() -> None:
            # One log per nudge message, however many times its buttons are clicked.
            result = services.activities.log_text(
                workspace_of(context),
                user,
                str(action.get("value") or ""),
                request_key=f"nudge:{message_ts}",
            )
            respond(replace_original=True, **blocks.log_message(result))

        answer_errors(respond, work, "nudge button")

    def nudge_rep(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
    ) -> None:
        manager, rep = body["user"]["id"], str(action.get("value") or "")

        def work() -> None:
            sent = services.scheduler.nudge(workspace_of(context), manager, rep)
            text = (
                f":wave: Nudged <@{rep}>." if sent else f"<@{rep}> has already been nudged today."
            )
            respond(replace_original=False, response_type="ephemeral", text=text)

        answer_errors(respond, work, "nudge")

    def open_dashboard() -> None:
        """The button links to App Home; Slack still reports the click, which needs no work."""

    def reaction_added(event: dict[str, Any], context: BoltContext) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
            return
        services.scheduler.record_reaction(
            workspace_of(context),
            str(item["channel"]),
            str(item["ts"]),
            str(event.get("user")),
            str(event.get("reaction")),
        )

    then(app.action(ids.ACTION_NUDGE_LOG), log_from_nudge)
    then(app.action(ids.ACTION_NUDGE_REP), nudge_rep)
    then(app.action(ids.ACTION_OPEN_DASHBOARD), open_dashboard)
    # Recording a reaction is one insert: done before the ack, so a retry finds it stored.
    app.event(ids.EVENT_REACTION_ADDED)(reaction_added)
