"""Block Kit for the OKR forms: checking in, and creating an objective."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.domain.errors import clip
from bot.domain.kr_types import kind_of
from bot.domain.kr_types import names as kr_names
from bot.domain.okrs import MAX_KEY_RESULTS, MAX_MILESTONES, MAX_UNIT
from bot.services.checkins import CheckinResult
from bot.services.okr_views import KRView, ObjectiveView
from handlers import ids
from handlers.blockkit import (
    OPTION_TEXT_LIMIT,
    Block,
    context,
    notice_modal,
    progress_bar,
    section,
)
from handlers.okr_blocks import VIEW_BLOCKS, checkin_message, fit, objective_blocks, value_text

CHECKIN_FORM_LIMIT = 19  # 5 blocks each, within a view's 100


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": clip(text, OPTION_TEXT_LIMIT)}, "value": value}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = True, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _text(
    action_id: str, placeholder: str = "", *, multiline: bool = False, max_length: int = 0
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
    }
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    if max_length:
        element["max_length"] = max_length
    return element


def _ticks(kr: KRView) -> dict[str, Any]:
    options = [_option(name, str(index)) for index, (name, _done) in enumerate(kr.milestones)]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": options}
    ticked = [options[index] for index, (_name, done) in enumerate(kr.milestones) if done]
    if ticked:
        element["initial_options"] = ticked
    return element


CONFIDENCE = [_option(str(n), str(n)) for n in range(11)]


def checkin_modal(krs: Sequence[KRView]) -> dict[str, Any]:
    """One row per open key result: its value now, the new value, confidence and a note."""
    blocks: list[Block] = []
    shown = list(krs)[:CHECKIN_FORM_LIMIT]
    for kr in shown:
        kind = kind_of(kr.kr_type)
        hint = kind.hint.format(milestones=len(kr.milestones))
        blocks.append(
            section(f"`{kr.ref}` *{kr.title}*\nNow: {value_text(kr)} · {progress_bar(kr.progress)}")
        )
        if kind.milestones and 0 < len(kr.milestones) <= MAX_MILESTONES:
            label = "Milestones done (pick a confidence to record)"
            blocks.append(_input(f"value:{kr.ref}", label, _ticks(kr)))
        else:
            blocks.append(_input(f"value:{kr.ref}", "New value", _text("value", hint)))
        blocks.append(
            _input(
                f"confidence:{kr.ref}",
                "Confidence (0–10)",
                {"type": "static_select", "action_id": "confidence", "options": CONFIDENCE},
            )
        )
        note = _text("note", "what moved", max_length=500)
        blockers = _text("blockers", "what is in the way", max_length=500)
        blocks.append(_input(f"note:{kr.ref}", "Note", note))
        blocks.append(_input(f"blockers:{kr.ref}", "Blockers", blockers))
    if not shown:
        blocks.append(
            section(
                "You own no key results in this cycle yet. Create an objective with `/okr new`."
            )
        )
    elif len(krs) > len(shown):
        blocks.append(
            context(
                f"{len(krs) - len(shown)} more key results: check in on them with `/checkin K<n> <value> <confidence>`."
            )
        )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.VIEW_CHECKIN,
        "private_metadata": json.dumps([kr.ref for kr in shown]),
        "title": {"type": "plain_text", "text": "Check in"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:VIEW_BLOCKS],
    }
    if shown:
        view["submit"] = {"type": "plain_text", "text": "Check in"}
    return view


def new_objective_modal(teams: Sequence[str]) -> dict[str, Any]:
    """The form for a new objective with up to five key results."""
    levels = [
        _option("Personal", "personal"),
        _option("Team", "team"),
        _option("Company", "company"),
    ]
    kinds = [
        _option("Committed (expect 1.0)", "committed"),
        _option("Aspirational (expect ~0.7)", "aspirational"),
    ]
    blocks: list[Block] = [
        _input(
            "title",
            "Objective",
            _text("title", "e.g. Win the East coast", max_length=150),
            optional=False,
        ),
        _input(
            "level",
            "Level",
            {
                "type": "static_select",
                "action_id": "level",
                "options": levels,
                "initial_option": levels[0],
            },
            optional=False,
        ),
        _input(
            "kind",
            "Kind",
            {
                "type": "static_select",
                "action_id": "kind",
                "options": kinds,
                "initial_option": kinds[0],
            },
            optional=False,
        ),
    ]
    if teams:
        team_options = [_option(name, name) for name in teams[:100]]
        blocks.append(
            _input(
                "team",
                "Team (for team objectives)",
                {"type": "static_select", "action_id": "team", "options": team_options},
            )
        )
    blocks.append(_input("parent", "Supports objective", _text("parent", "e.g. O1")))
    types = [_option(kind_of(name).label, name) for name in kr_names()]
    for number in range(1, MAX_KEY_RESULTS + 1):
        blocks.append(
            {"type": "header", "text": {"type": "plain_text", "text": f"Key result {number}"}}
        )
        blocks.append(
            _input(
                ids.kr_block(number, "title"),
                "Title",
                _text("title", "e.g. Close 20 deals", max_length=150),
                optional=number > 1,
            )
        )
        blocks.append(
            _input(
                ids.kr_block(number, "type"),
                "Measured as",
                {
                    "type": "static_select",
                    "action_id": "type",
                    "options": types,
                    "initial_option": types[0],
                },
            )
        )
        blocks.append(
            _input(
                ids.kr_block(number, "start"),
                "Start",
                _text("start", "0"),
                hint="for increase / decrease",
            )
        )
        blocks.append(
            _input(ids.kr_block(number, "target"), "Target or threshold", _text("target", "20"))
        )
        blocks.append(
            _input(
                ids.kr_block(number, "unit"), "Unit", _text("unit", "deals", max_length=MAX_UNIT)
            )
        )
        blocks.append(
            _input(ids.kr_block(number, "points"), "Points when achieved", _text("points", "50"))
        )
        blocks.append(
            _input(
                ids.kr_block(number, "owner"),
                "Owner (default: you)",
                {"type": "users_select", "action_id": "owner"},
            )
        )
        blocks.append(
            _input(
                ids.kr_block(number, "milestones"),
                f"Milestones (comma separated, up to {MAX_MILESTONES})",
                _text("milestones", "Draft, Pilot, Launch"),
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NEW_OBJECTIVE,
        "title": {"type": "plain_text", "text": "New objective"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:VIEW_BLOCKS],
    }


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


def checked_in_view(results: Sequence[CheckinResult]) -> dict[str, Any]:
    """What the check-in form turns into once recorded."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Checked in"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": checkin_message(results)["blocks"][:VIEW_BLOCKS],
    }


def stale_form_view() -> dict[str, Any]:
    """What a check-in form that okrbot cannot read turns into."""
    return notice_modal(
        "Check in",
        ":warning: This form is out of date and nothing was recorded. "
        "Run `/checkin` again to get a fresh one.",
    )
