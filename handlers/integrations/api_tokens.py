"""API tokens from App Home: admins create one (its secret shown once) and revoke it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.errors import NotAllowed, UserError
from bot.services import Services
from handlers import ids
from handlers.blockkit import notice_modal
from handlers.home import publish_home
from handlers.integrations import api_token_blocks
from handlers.listen import bound, then
from handlers.replies import answered_once, form_key, row_id, workspace_of


def open_new_token(
    services: Services, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    if not services.okrs.user_is_admin(workspace, user):
        client.chat_postMessage(
            channel=user, text=":warning: Only workspace admins can create API tokens."
        )
        return
    client.views_open(trigger_id=body["trigger_id"], view=api_token_blocks.new_token_modal())


def new_token_submitted(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
) -> None:
    """Fast: answered in the acknowledgement, with the secret or the field that is wrong."""
    values = (view.get("state") or {}).get("values") or {}
    name = str(
        ((values.get(ids.BLOCK_TOKEN_NAME) or {}).get(ids.INPUT_TOKEN_NAME) or {}).get("value")
        or ""
    )
    chosen = ((values.get(ids.BLOCK_TOKEN_SCOPES) or {}).get(ids.INPUT_TOKEN_SCOPES) or {}).get(
        "selected_options"
    ) or []
    scopes = [str(o.get("value")) for o in chosen if isinstance(o, dict)]
    user, workspace = body["user"]["id"], workspace_of(context)

    def work(key: str | None) -> dict[str, Any]:
        _id, secret = services.api.create_token_as(
            workspace,
            name,
            scopes,
            lambda: services.okrs.user_is_admin(workspace, user),
            request_key=key,
        )
        created = api_token_blocks.created_token_view(name.strip(), secret)
        return {"response_action": "update", "view": created}

    repeat = {
        "response_action": "update",
        "view": notice_modal(
            "API token created",
            ":white_check_mark: This token was created already; its secret was shown once. "
            "Revoke it in App Home if it was not copied.",
        ),
    }
    try:  # its answer holds the secret: never kept, so a repeat is told instead
        answer = answered_once(services, workspace, form_key(view), work, repeat=repeat, keep=False)
    except UserError as error:
        block = ids.BLOCK_TOKEN_SCOPES if "Scopes" in error.message else ids.BLOCK_TOKEN_NAME
        ack(response_action="errors", errors={block: error.message[:150]})
        return
    ack(**answer)


def revoke_token(
    services: Services,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
) -> None:
    user, workspace = body["user"]["id"], workspace_of(context)
    value = str(action.get("value") or "")
    try:
        services.api.revoke_token_as(
            workspace,
            row_id(value, "Revoke"),
            lambda: services.okrs.user_is_admin(workspace, user),
        )
    except (UserError, NotAllowed) as error:
        client.chat_postMessage(channel=user, text=f":warning: {error.message}")
        return
    publish_home(services, client, workspace, user)


def register(app: App, services: Services) -> None:
    """App Home's API token buttons and form."""
    then(app.action(ids.ACTION_NEW_TOKEN), bound(open_new_token, services))
    then(app.action(ids.any_keyed(ids.ACTION_REVOKE_TOKEN)), bound(revoke_token, services))
    app.view(ids.VIEW_NEW_TOKEN)(bound(new_token_submitted, services))
