"""Block Kit for the OKR forms: checking in, and creating an objective."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.domain.kr_types import kind_of
from bot.domain.okrs import MAX_MILESTONES
from bot.services.okrs.checkins import CheckinResult
from bot.services.okrs.okr_views import KRView
from handlers import ids
from handlers.blockkit import (
    Block,
    context,
    input_block,
    notice_modal,
    option,
    progress_bar,
    section,
    text_input,
)
from handlers.okrs.objective_form import created_view as created_view
from handlers.okrs.objective_form import new_objective_modal as new_objective_modal
from handlers.okrs.okr_blocks import VIEW_BLOCKS, checkin_message, value_text

CHECKIN_FORM_LIMIT = 19  # 5 blocks each, within a view's 100


def _ticks(kr: KRView) -> dict[str, Any]:
    options = [option(name, str(index)) for index, (name, _done) in enumerate(kr.milestones)]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": options}
    ticked = [options[index] for index, (_name, done) in enumerate(kr.milestones) if done]
    if ticked:
        element["initial_options"] = ticked
    return element


CONFIDENCE = [option(str(n), str(n)) for n in range(11)]


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
            blocks.append(input_block(f"value:{kr.ref}", label, _ticks(kr)))
        else:
            blocks.append(
                input_block(
                    f"value:{kr.ref}",
                    "New value (with a confidence below)",
                    text_input("value", hint),
                    hint="Leave the value and confidence empty to skip this key result.",
                )
            )
        blocks.append(
            input_block(
                f"confidence:{kr.ref}",
                "Confidence 0–10 (with the new value)",
                {"type": "static_select", "action_id": "confidence", "options": CONFIDENCE},
            )
        )
        note = text_input("note", "what moved", max_length=500)
        blockers = text_input("blockers", "what is in the way", max_length=500)
        blocks.append(input_block(f"note:{kr.ref}", "Note", note))
        blocks.append(input_block(f"blockers:{kr.ref}", "Blockers", blockers))
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
