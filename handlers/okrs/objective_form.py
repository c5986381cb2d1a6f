"""The new-objective form, and what it shows once the objective is created."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.kr_types import kind_of
from bot.domain.kr_types import names as kr_names
from bot.domain.okrs import MAX_KEY_RESULTS, MAX_MILESTONES, MAX_UNIT
from bot.services.okrs.okr_views import ObjectiveView
from handlers import ids
from handlers.blockkit import (
    Block,
    button,
    context,
    input_block,
    option,
    static_select,
    text_input,
)
from handlers.okrs.okr_blocks import VIEW_BLOCKS, fit, objective_blocks

LEVELS = [option("Personal", "personal"), option("Team", "team"), option("Company", "company")]
KINDS = [
    option("Committed (expect 1.0)", "committed"),
    option("Aspirational (expect ~0.7)", "aspirational"),
]


def new_objective_modal(teams: Sequence[str], key_results: int = 1) -> dict[str, Any]:
    """The form for a new objective: one key result to start, and an Add a key result button
    for each more, up to five."""
    key_results = max(1, min(MAX_KEY_RESULTS, key_results))
    title = text_input("title", "e.g. Win the East coast", max_length=150)
    blocks: list[Block] = [
        input_block("title", "Objective", title, optional=False),
        input_block(
            "level", "Level", static_select("level", LEVELS, first_chosen=True), optional=False
        ),
        input_block(
            "kind", "Kind", static_select("kind", KINDS, first_chosen=True), optional=False
        ),
    ]
    if teams:
        team_menu = static_select("team", [option(name, name) for name in teams[:100]])
        blocks.append(input_block("team", "Team (for team objectives)", team_menu))
    blocks.append(input_block("parent", "Supports objective", text_input("parent", "e.g. O1")))
    types = [option(kind_of(name).label, name) for name in kr_names()]
    for number in range(1, key_results + 1):
        blocks += _key_result_inputs(number, types)
    if key_results < MAX_KEY_RESULTS:
        add = button("Add a key result", ids.ACTION_ADD_KEY_RESULT, str(key_results + 1))
        blocks.append({"type": "actions", "block_id": "add_kr", "elements": [add]})
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NEW_OBJECTIVE,
        "private_metadata": str(key_results),
        "title": {"type": "plain_text", "text": "New objective"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:VIEW_BLOCKS],
    }


def _key_result_inputs(number: int, types: list[dict[str, Any]]) -> list[Block]:
    """The header and inputs of the form's `number`th key result."""

    def field(part: str, label: str, element: dict[str, Any], **kwargs: Any) -> Block:
        return input_block(ids.kr_block(number, part), label, element, **kwargs)

    title = text_input("title", "e.g. Close 20 deals", max_length=150)
    milestones = f"Milestones (comma separated, up to {MAX_MILESTONES})"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Key result {number}"}},
        field("title", "Title", title, optional=number > 1),
        field("type", "Measured as", static_select("type", types, first_chosen=True)),
        field("start", "Start", text_input("start", "0"), hint="for increase / decrease"),
        field("target", "Target or threshold", text_input("target", "20")),
        field("unit", "Unit", text_input("unit", "deals", max_length=MAX_UNIT)),
        field("points", "Points when achieved", text_input("points", "50")),
        field("owner", "Owner (default: you)", {"type": "users_select", "action_id": "owner"}),
        field("milestones", milestones, text_input("milestones", "Draft, Pilot, Launch")),
    ]


def created_view(objective: ObjectiveView) -> dict[str, Any]:
    """What the form turns into once the objective exists."""
    blocks = fit(objective_blocks(objective)[1:], VIEW_BLOCKS - 1, "…")
    blocks.append(
        context(
            "Check in with `/checkin` · see it with `/okr "
            + (objective.key_results[0].ref if objective.key_results else "")
            + "`"
        )
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Objective created"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": blocks,
    }
