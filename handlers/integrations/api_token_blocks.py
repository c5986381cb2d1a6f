"""App Home's API tokens for admins, and the form that creates one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.services.integrations.api import SCOPES, TokenInfo
from handlers import ids
from handlers.blockkit import Block, button, context, input_block, option, section, text_input


def token_blocks(tokens: Sequence[TokenInfo]) -> list[Block]:
    """Each live token (without its secret) with a Revoke button, and Create."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "API tokens"}}]
    live = [t for t in tokens if t.revoked_at is None][:20]
    for token in live:
        revoke = button(
            "Revoke", ids.keyed(ids.ACTION_REVOKE_TOKEN, str(token.id)), str(token.id), "danger"
        )
        revoke["confirm"] = {
            "title": {"type": "plain_text", "text": "Revoke this token?"},
            "text": {"type": "mrkdwn", "text": f"*{token.name}* stops working at once."},
            "confirm": {"type": "plain_text", "text": "Revoke"},
            "deny": {"type": "plain_text", "text": "Keep it"},
        }
        text = f"*{token.name}* · `{token.hint}…` · {', '.join(token.scopes)}"
        blocks.append({**section(text), "accessory": revoke})
    if not live:
        blocks.append(
            context("No API tokens yet. CRMs and BI tools use one to reach okrbot's API.")
        )
    blocks.append({"type": "actions", "elements": [button("Create a token", ids.ACTION_NEW_TOKEN)]})
    return blocks


def new_token_modal() -> dict[str, Any]:
    """A name and the scopes a new token gets."""
    scopes = {
        "type": "checkboxes",
        "action_id": ids.INPUT_TOKEN_SCOPES,
        "options": [option(scope, scope, does) for scope, does in SCOPES.items()],
    }
    name = text_input(ids.INPUT_TOKEN_NAME, "e.g. hubspot", max_length=80)
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NEW_TOKEN,
        "title": {"type": "plain_text", "text": "New API token"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            input_block(ids.BLOCK_TOKEN_NAME, "What it is for", name, optional=False),
            input_block(ids.BLOCK_TOKEN_SCOPES, "What it may do", scopes, optional=False),
        ],
    }


def created_token_view(name: str, secret: str) -> dict[str, Any]:
    """The new token's secret, shown this once."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "API token created"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [
            section(f"*{name}*: copy this now, it is not shown again.\n```{secret}```"),
            context("Send it as `Authorization: Bearer …`. Revoke it from this Home tab."),
        ],
    }
