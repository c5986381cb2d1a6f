"""Buttons on scheduled messages, and reactions to leaderboard posts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot.services import Services
from bot.services.schedule.scheduler import NudgeOutcome
from handlers import blocks, ids
from handlers.listen import bound, then
from handlers.replies import answer_errors, workspace_of


def parse_nudge_value(value: str) -> tuple[str, datetime | None]:
    """A Nudge button's value: `U0REP1|1763974800` (rep, digest built at) or just the rep."""
    rep, _, stamp = value.partition("|")
    try:
        since = datetime.fromtimestamp(int(stamp), UTC) if stamp else None
    except (ValueError, OverflowError, OSError):
        since = None
    return rep, since


def log_from_nudge(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
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
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    manager = body["user"]["id"]
    rep, since = parse_nudge_value(str(action.get("value") or ""))

    def work() -> None:
        outcome = services.scheduler.nudge(workspace_of(context), manager, rep, since)
        text = {
            NudgeOutcome.SENT: f":wave: Nudged <@{rep}>.",
            NudgeOutcome.ALREADY_NUDGED: f"<@{rep}> has already been nudged today.",
            NudgeOutcome.ACTIVE: f":white_check_mark: <@{rep}> has logged an activity since "
            "this digest was sent, so no nudge was needed.",
        }[outcome]
        respond(replace_original=False, response_type="ephemeral", text=text)

    answer_errors(respond, work, "nudge")


def open_dashboard() -> None:
    """The button links to App Home; Slack still reports the click, which needs no work."""


def reaction_added(services: Services, event: dict[str, Any], context: BoltContext) -> None:
    item = event.get("item") or {}
    if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
        return
    services.scheduler.record_reaction(
        workspace_of(context),
        str(item["channel"]),
        str(item["ts"]),
        str(event.get("user")),
        reaction=str(event.get("reaction")),
    )


def register(app: App, services: Services) -> None:
    """Attach the listeners for nudges, digests and reactions."""
    then(app.action(ids.any_keyed(ids.ACTION_NUDGE_LOG)), bound(log_from_nudge, services))
    then(app.action(ids.any_keyed(ids.ACTION_NUDGE_REP)), bound(nudge_rep, services))
    then(app.action(ids.ACTION_OPEN_DASHBOARD), open_dashboard)
    # Recording a reaction is one insert: done before the ack, so a retry finds it stored.
    app.event(ids.EVENT_REACTION_ADDED)(bound(reaction_added, services))
