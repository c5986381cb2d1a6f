"""Reading what people typed into the check-in and new-objective forms."""

from __future__ import annotations

from typing import Any

from bot.domain.objective_drafts import KRDraft, ObjectiveDraft
from bot.services.okrs.checkins import CheckinRow
from handlers import ids
from handlers.replies import (
    form_values,
    private_metadata,
)

State = dict[str, dict[str, dict[str, Any]]]


def _typed(state: State, block: str, action: str) -> str:
    element = state.get(block, {}).get(action, {})
    selected = element.get("selected_option")
    chosen = selected.get("value") if isinstance(selected, dict) else None
    return str(element.get("value") or chosen or element.get("selected_user") or "")


def objective_draft(state: State) -> ObjectiveDraft:
    """Read the new-objective form."""
    rows = []
    numbers = sorted({parts[0] for block in state if (parts := ids.kr_block_parts(block))})
    for number in numbers:

        def typed(part: str, number: int = number) -> str:
            return _typed(state, ids.kr_block(number, part), part)

        rows.append(
            KRDraft(
                title=typed("title"),
                kr_type=typed("type"),
                start=typed("start"),
                target=typed("target"),
                unit=typed("unit"),
                points=typed("points"),
                owner=typed("owner"),
                milestones=typed("milestones"),
            )
        )
    return ObjectiveDraft(
        title=_typed(state, "title", "title"),
        level=_typed(state, "level", "level") or "personal",
        kind=_typed(state, "kind", "kind") or "committed",
        team=_typed(state, "team", "team"),
        parent=_typed(state, "parent", "parent"),
        key_results=rows,
    )


def form_refs(view: dict[str, Any]) -> list[str]:
    """The key-result codes the check-in form was built for (its private_metadata)."""
    refs = private_metadata(view, [])
    return [str(ref) for ref in refs] if isinstance(refs, list) else []


def checkin_rows(view: dict[str, Any]) -> tuple[list[CheckinRow], dict[str, str]]:
    """Read the filled rows of the check-in form, and errors for half-filled ones."""
    state: State = form_values(view)
    rows, errors = [], {}
    for ref in form_refs(view):
        element = state.get(f"value:{ref}", {}).get("value", {})
        confidence = _typed(state, f"confidence:{ref}", "confidence")
        if element.get("type") == "checkboxes":
            if not confidence:
                continue  # milestone boxes are always sent: a confidence marks the row as filled
            ticked = element.get("selected_options")
            ticked = ticked if isinstance(ticked, list) else []
            value = "ticks:" + ",".join(
                str(option.get("value")) for option in ticked if isinstance(option, dict)
            )
        else:
            value = _typed(state, f"value:{ref}", "value").strip()
        if not value:
            if confidence:
                errors[f"value:{ref}"] = "Give the new value too: a confidence goes with a value."
            continue
        if not confidence:
            errors[f"confidence:{ref}"] = "Pick how confident you are, 0 to 10."
        note = _typed(state, f"note:{ref}", "note")
        blockers = _typed(state, f"blockers:{ref}", "blockers")
        rows.append(
            CheckinRow(ref=ref, value=value, confidence=confidence, note=note, blockers=blockers)
        )
    if not rows and not errors:
        refs = form_refs(view)
        if refs:
            errors[f"value:{refs[0]}"] = "Fill in a new value for at least one key result."
    return rows, errors
