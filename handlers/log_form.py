"""The `/log` form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.errors import clip
from bot.domain.scoring import MAX_NOTE_LENGTH, MAX_QUANTITY
from bot.services.context import CatalogEntry
from handlers import ids
from handlers.blockkit import (
    OPTION_LIMIT,
    OPTION_TEXT_LIMIT,
    notice_modal,
    plural,
)


def log_modal(catalog: Sequence[CatalogEntry], private_metadata: str) -> dict[str, Any]:
    """The `/log` form: activity, quantity and note."""
    if not catalog:
        return notice_modal(
            "Log an activity",
            "This workspace has no activities to log yet. An admin adds them with "
            "`okrbot import playbook.yaml` (see the README).",
            callback_id=ids.VIEW_LOG,
            private_metadata=private_metadata,
        )
    options = [
        {
            "text": {
                "type": "plain_text",
                "text": clip(f"{entry.name} ({plural(entry.points, 'pt')})", OPTION_TEXT_LIMIT),
            },
            "value": entry.key,
        }
        for entry in catalog[:OPTION_LIMIT]
    ]
    return {
        "type": "modal",
        "callback_id": ids.VIEW_LOG,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Log an activity"},
        "submit": {"type": "plain_text", "text": "Log"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": ids.BLOCK_ACTIVITY,
                "label": {"type": "plain_text", "text": "Activity"},
                "element": {
                    "type": "static_select",
                    "action_id": ids.INPUT_ACTIVITY,
                    "placeholder": {"type": "plain_text", "text": "What did you do?"},
                    "options": options,
                },
            },
            {
                "type": "input",
                "block_id": ids.BLOCK_QUANTITY,
                "label": {"type": "plain_text", "text": "How many"},
                "hint": {"type": "plain_text", "text": f"A whole number from 1 to {MAX_QUANTITY}"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.INPUT_QUANTITY,
                    "initial_value": "1",
                },
            },
            {
                "type": "input",
                "block_id": ids.BLOCK_NOTE,
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.INPUT_NOTE,
                    "multiline": True,
                    "max_length": MAX_NOTE_LENGTH,
                },
            },
        ],
    }
