"""Buttons on OKR messages and App Home: accept or decline a key result, approve its points,
close the cycle."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot.domain.errors import UserError, clip
from bot.services import Services
from handlers import blockkit, ids
from handlers.home import publish_home
from handlers.listen import bound, then
from handlers.replies import (
    answer_errors,
    workspace_of,
)


def answer_assignment(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    accept = action.get("action_id") == ids.ACTION_ACCEPT_KR

    def work() -> None:
        answer = services.okrs.answer_assignment(
            workspace_of(context), body["user"]["id"], str(action.get("value") or ""), accept
        )
        if answer.accepted:
            earned = (
                f" It is already achieved: +{blockkit.plural(answer.points_awarded, 'point')}."
                if answer.points_awarded
                else ""
            )
            text = f":white_check_mark: You own `{answer.ref}` {answer.title} now.{earned}"
        else:
            text = f":x: You declined `{answer.ref}` {answer.title}; it is archived."
        respond(replace_original=True, text=text)
        if answer.assigned_by:
            said = "accepted" if answer.accepted else "declined"
            client.chat_postMessage(
                channel=answer.assigned_by,
                text=f"<@{answer.owner}> {said} `{answer.ref}` {answer.title}.",
            )

    answer_errors(respond, work, "accept or decline")


def approve_points(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    try:
        view, awarded = services.okrs.approve_points(
            workspace, user, str(action.get("value") or "")
        )
    except UserError as error:
        client.chat_postMessage(channel=user, text=f":warning: {error.message}")
        return
    earned = f" It is achieved: +{blockkit.plural(awarded, 'point')}." if awarded else ""
    client.chat_postMessage(
        channel=view.owner_id,
        text=f":tada: <@{user}> approved the points of `{view.ref}` {view.title}.{earned}",
    )
    if (body.get("container") or {}).get("type") == "message":  # the request's DM: answered
        client.chat_postMessage(
            channel=user,
            text=f":white_check_mark: You approved the points of `{view.ref}` {view.title}.",
        )
    publish_home(services, client, workspace, user)


def close_cycle_button(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    # The button's confirm dialog said how early it is: pressing it confirms an early close.
    name, _, early = str(action.get("value") or "").partition("|")
    try:
        report = services.okrs.close_cycle(
            workspace, name or None, by_user=user, early=early == "early"
        )
    except UserError as error:
        client.chat_postMessage(channel=user, text=f":warning: {error.message}")
        return
    lines = [f"`{ref}` {final:.2f} — {title}" for ref, title, final in report.scores]
    when = f", {report.days_early} day(s) early" if report.days_early else ""
    summary = f":checkered_flag: *{report.name} is closed{when}.* Final scores:\n" + "\n".join(
        lines
    )
    client.chat_postMessage(channel=user, text=clip(summary, 3000))
    publish_home(services, client, workspace, user)


def register(app: App, services: Services) -> None:
    """Attach the OKR button listeners to `app`."""
    then(app.action(ids.ACTION_CLOSE_CYCLE), bound(close_cycle_button, services))
    then(app.action(ids.ACTION_ACCEPT_KR), bound(answer_assignment, services))
    then(app.action(ids.ACTION_DECLINE_KR), bound(answer_assignment, services))
    then(app.action(ids.ACTION_APPROVE_POINTS), bound(approve_points, services))
