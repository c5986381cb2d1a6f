"""`/log`, the log modal, and Undo."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import UserError
from bot.domain.parsing import UnknownActivity, is_help, log_form_problems
from bot.services import Services
from handlers import blocks, ids
from handlers.listen import bound, command, then, without_text
from handlers.replies import (
    answer_errors,
    form_errors,
    in_time,
    late_form,
    private_metadata,
    row_id,
    workspace_of,
)

log = logging.getLogger(__name__)
NOT_SAVED = "okrbot_not_saved"  # set in the context when the form's answer came too late
FIELD_BLOCKS = {
    "activity": ids.BLOCK_ACTIVITY,
    "quantity": ids.BLOCK_QUANTITY,
    "note": ids.BLOCK_NOTE,
}


def _open_modal(
    services: Services, client: WebClient, workspace: str, user: str, *, trigger: str, channel: str
) -> None:
    catalog = services.activities.catalog(workspace, user)
    metadata = json.dumps({"channel": channel})
    client.views_open(trigger_id=trigger, view=blocks.log_modal(catalog, metadata))


def _modal_values(view: dict[str, Any]) -> tuple[str, str, str]:
    values = (view.get("state") or {}).get("values") or {}

    def field(block: str, action: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(action)
        return found if isinstance(found, dict) else {}

    selected = field(ids.BLOCK_ACTIVITY, ids.INPUT_ACTIVITY).get("selected_option") or {}
    quantity = str(field(ids.BLOCK_QUANTITY, ids.INPUT_QUANTITY).get("value") or "")
    note = str(field(ids.BLOCK_NOTE, ids.INPUT_NOTE).get("value") or "")
    return str(selected.get("value") or "") if isinstance(selected, dict) else "", quantity, note


def _post_privately(client: WebClient, channel: str, user: str, message: dict[str, Any]) -> None:
    """Show `message` to `user` only: ephemeral in `channel`, else in their DM with the app."""
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, **message)
            return
        except SlackApiError as error:
            log.info(
                "chat.postEphemeral to %s failed (%s); sending a DM",
                channel,
                error.response.get("error"),
            )
    client.chat_postMessage(channel=user, **message)


def log_answer(services: Services, command: dict[str, Any], context: BoltContext) -> dict[str, Any]:
    text, user = command.get("text") or "", command["user_id"]
    workspace = workspace_of(context)
    if is_help(text):
        return blocks.catalog_message(services.activities.catalog(workspace, user))
    try:
        result = services.activities.log_text(
            workspace, user, text, request_key=command.get("trigger_id")
        )
    except UnknownActivity as error:
        return blocks.unknown_activity_message(error.message, error.fix)
    return blocks.log_message(result)


def log_suggestion(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """The one-click fix under "Did you mean call?": log the suggested text, once however
    often the button is clicked."""

    def work() -> None:
        text = str(action.get("value") or "")
        user = body["user"]["id"]
        shown = str((body.get("container") or {}).get("message_ts") or "")
        key = f"fix:{shown}:{text}"[:120] if shown else None
        result = services.activities.log_text(workspace_of(context), user, text, request_key=key)
        respond(replace_original=True, **blocks.log_message(result))

    answer_errors(respond, work, "a suggested log")


def log_form(
    services: Services, command: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    _open_modal(
        services,
        client,
        workspace_of(context),
        command["user_id"],
        trigger=command["trigger_id"],
        channel=command.get("channel_id", ""),
    )


def open_log_modal(
    services: Services, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    _open_modal(
        services,
        client,
        workspace_of(context),
        body["user"]["id"],
        trigger=body["trigger_id"],
        channel="",
    )


def store_log_form(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
) -> None:
    """Store the log before the form closes: errors show on their field, and once the form
    closes the log is stored, whatever happens to the confirmation sent after it."""
    problems = log_form_problems(*_modal_values(view))
    if problems:
        errors = {FIELD_BLOCKS[field]: message for field, message in problems.items()}
        ack(response_action="errors", errors=form_errors(view, errors, ids.BLOCK_ACTIVITY))
        return

    def keep() -> dict[str, Any]:
        try:
            activity, quantity, note = _modal_values(view)
            services.activities.log_fields(
                workspace_of(context),
                body["user"]["id"],
                activity,
                quantity,
                note=note,
                request_key=f"view:{view['id']}",
            )
        except UserError as error:
            block = FIELD_BLOCKS.get(error.field or "", ids.BLOCK_ACTIVITY)
            errors = form_errors(view, {block: error.message}, ids.BLOCK_ACTIVITY)
            return {"response_action": "errors", "errors": errors}
        return {}

    def late(saved: bool) -> dict[str, Any]:
        if not saved:  # the confirmation after the ack must not store it after all
            context[NOT_SAVED] = True
        return late_form(view, ids.BLOCK_ACTIVITY)(saved)

    ack(**in_time(keep, late, "the log form"))


def log_submitted(
    services: Services,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    """The confirmation of a stored log form (the same request key finds the same log)."""
    if context.get(NOT_SAVED):
        return  # its answer said nothing was saved, and the form is still open
    user = body["user"]["id"]
    metadata = private_metadata(view, {})
    channel = str(metadata.get("channel") or "") if isinstance(metadata, dict) else ""
    try:
        activity, quantity, note = _modal_values(view)
        result = services.activities.log_fields(
            workspace_of(context),
            user,
            activity,
            quantity,
            note=note,
            request_key=f"view:{view['id']}",
        )
    except UserError:
        return  # answered inline when the form was submitted
    _post_privately(client, channel, user, blocks.log_message(result))


def undo(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    def work() -> None:
        log_id = row_id(action.get("value"), "Undo")
        result = services.activities.undo(workspace_of(context), body["user"]["id"], log_id)
        respond(replace_original=True, **blocks.undone_message(result))

    answer_errors(respond, work, "undo")


def register(app: App, services: Services) -> None:
    """Attach the `/log` listeners to `app`."""
    command(
        app,
        ids.COMMAND_LOG,
        bound(log_answer, services),
        "/log",
        slow=without_text,
        later=bound(log_form, services),
    )
    then(app.action(ids.ACTION_OPEN_LOG_MODAL), bound(open_log_modal, services))
    then(
        app.view(ids.VIEW_LOG), bound(log_submitted, services), ack=bound(store_log_form, services)
    )
    then(app.action(ids.ACTION_UNDO), bound(undo, services))
    then(app.action(ids.ACTION_LOG_SUGGESTION), bound(log_suggestion, services))
