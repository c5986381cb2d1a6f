"""The `/log` form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.scoring import MAX_NOTE_LENGTH, MAX_QUANTITY
from bot.services.context import CatalogEntry
from handlers import ids
from handlers.blockkit import (
    OPTION_LIMIT,
    input_block,
    notice_modal,
    option,
    plural,
    static_select,
    text_input,
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
        option(f"{entry.name} ({plural(entry.points, 'pt')})", entry.key)
        for entry in catalog[:OPTION_LIMIT]
    ]
    activity = static_select(ids.INPUT_ACTIVITY, options, placeholder="What did you do?")
    quantity = {**text_input(ids.INPUT_QUANTITY), "initial_value": "1"}
    note = text_input(ids.INPUT_NOTE, multiline=True, max_length=MAX_NOTE_LENGTH)
    how_many = f"A whole number from 1 to {MAX_QUANTITY}"
    return {
        "type": "modal",
        "callback_id": ids.VIEW_LOG,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Log an activity"},
        "submit": {"type": "plain_text", "text": "Log"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            input_block(ids.BLOCK_ACTIVITY, "Activity", activity, optional=False),
            input_block(ids.BLOCK_QUANTITY, "How many", quantity, optional=False, hint=how_many),
            input_block(ids.BLOCK_NOTE, "Note", note),
        ],
    }
