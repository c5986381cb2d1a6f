"""Slack's Block Kit rules, checked the way Slack checks them.

`message_problems`, `view_problems` and `errors_problems` return what Slack would answer
in `response_metadata.messages` for a payload that breaks a rule: a reason followed by the
JSON pointer of the offending field. An empty list means Slack accepts the payload.

slack_sdk's models check some of these rules; they are asked first, and the rules they do
not check (uniqueness, most counts, lengths of nested objects) are checked here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block as SdkBlock

from bot.sandbox.blockkit_checks import (
    ACCESSORY_ELEMENTS,
    ACTIONS_ELEMENTS,
    BLOCK_TYPES,
    INPUT_ELEMENTS,
    MESSAGE_BLOCKS,
    VIEW_BLOCKS,
    Checker,
    element_problems,
)


def _section(check: Checker, block: dict[str, Any], path: str) -> list[str | None]:
    if "text" not in block and "fields" not in block:
        check.fail("must provide text or fields", path)
    if "text" in block:
        check.text(block["text"], 3000, f"{path}/text")
    if "fields" in block:
        for i, field in enumerate(check.count(block["fields"], 1, 10, f"{path}/fields")):
            check.text(field, 2000, f"{path}/fields/{i}")
    if "accessory" not in block:
        return []
    return [element_problems(check, block["accessory"], f"{path}/accessory", ACCESSORY_ELEMENTS)]


def _header(check: Checker, block: dict[str, Any], path: str) -> list[str | None]:
    check.text(block.get("text"), 150, f"{path}/text", plain=True)
    return []


def _context(check: Checker, block: dict[str, Any], path: str) -> list[str | None]:
    for i, element in enumerate(check.count(block.get("elements"), 1, 10, f"{path}/elements")):
        where = f"{path}/elements/{i}"
        if isinstance(element, dict) and element.get("type") == "image":
            element_problems(check, element, where)
        else:
            check.text(element, 3000, where)
    return []


def _actions(check: Checker, block: dict[str, Any], path: str) -> list[str | None]:
    elements = check.count(block.get("elements"), 1, 25, f"{path}/elements")
    return [
        element_problems(check, element, f"{path}/elements/{i}", ACTIONS_ELEMENTS)
        for i, element in enumerate(elements)
    ]


def _input(check: Checker, block: dict[str, Any], path: str) -> list[str | None]:
    check.text(block.get("label"), 2000, f"{path}/label", plain=True)
    if "hint" in block:
        check.text(block["hint"], 2000, f"{path}/hint", plain=True)
    if "element" not in block:
        check.fail("must provide an element", f"{path}/element")
        return []
    return [element_problems(check, block["element"], f"{path}/element", INPUT_ELEMENTS)]


def _image(check: Checker, block: dict[str, Any], path: str) -> list[str | None]:
    check.length(block.get("image_url"), 3000, f"{path}/image_url", minimum=1)
    check.length(block.get("alt_text"), 2000, f"{path}/alt_text", minimum=1)
    if "title" in block:
        check.text(block["title"], 2000, f"{path}/title", plain=True)
    return []


BlockRule = Callable[[Checker, dict[str, Any], str], list[str | None]]
BLOCK_RULES: dict[str, BlockRule] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
}


def _block(check: Checker, block: Any, path: str) -> list[str]:
    """Check one block; return the action_id of an input without a block_id.

    Slack asks for action_ids unique within their block. In a view, two inputs that share an
    action_id and have no block_id of their own are told apart only by the block_ids Slack
    generates, so their values cannot be read back: that is refused here too.
    """
    if not isinstance(block, dict):
        check.fail("must be an object", path)
        return []
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        check.fail(f"unsupported type `{kind}`", f"{path}/type")
        return []
    if "block_id" in block:
        check.length(block["block_id"], 255, f"{path}/block_id", minimum=1)
    rule = BLOCK_RULES.get(str(kind))
    action_ids = [] if rule is None else rule(check, block, path)  # others: not sent by okrbot
    named = [a for a in action_ids if a]
    if len(set(named)) != len(named):
        check.fail("action_id values must be unique within a block", path)
    if kind == "input" and named and "block_id" not in block:
        return named
    return []


def _blocks(check: Checker, blocks: Any, limit: int, path: str, *, in_view: bool) -> None:
    items = check.count(blocks, 0, limit, path)
    block_ids: set[str] = set()
    input_action_ids: set[str] = set()
    for i, block in enumerate(items):
        where = f"{path}/{i}"
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in block_ids:
                check.fail(f"duplicate block_id `{block_id}`", f"{where}/block_id")
            block_ids.add(block_id)
        for action_id in _block(check, block, where):
            if action_id in input_action_ids:
                check.fail(
                    f"duplicate input action_id `{action_id}` in the view without a block_id",
                    where,
                )
            input_action_ids.add(action_id)
        _sdk(check, block, where)


def _sdk(check: Checker, block: Any, path: str) -> None:
    """The rules slack_sdk's own models know about."""
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES - {
        "rich_text",
        "table",
        "markdown",
    }:
        return
    try:
        model = SdkBlock.parse(block)
        if model is not None:
            model.validate_json()
    except SlackObjectFormationError as error:
        check.fail(str(error), path)
    except (TypeError, KeyError, AttributeError, ValueError) as error:
        check.fail(f"malformed block: {error}", path)


# -- payloads ------------------------------------------------------------------------------


def message_problems(payload: dict[str, Any]) -> list[str]:
    """What Slack refuses in a chat.postMessage / postEphemeral / update / response_url body."""
    check = Checker()
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        check.fail("blocks must be an array, not a string", "/blocks")
        return check.problems
    if blocks is not None:
        _blocks(check, blocks, MESSAGE_BLOCKS, "/blocks", in_view=False)
        # Slack only warns about a missing fallback; okrbot requires one, since notifications
        # and screen readers show nothing else.
        if blocks and not str(payload.get("text") or "").strip():
            check.fail("text fallback is required when sending blocks", "/text")
    elif not str(payload.get("text") or "").strip() and not payload.get("delete_original"):
        check.fail("no text", "/text")
    return check.problems


def view_problems(view: Any) -> list[str]:
    """What Slack refuses in a view passed to views.open / push / update / publish."""
    check = Checker()
    if not isinstance(view, dict):
        check.fail("must be an object", "/view")
        return check.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.fail("must be one of modal, home", "/view/type")
    _blocks(check, view.get("blocks"), VIEW_BLOCKS, "/view/blocks", in_view=True)
    if kind == "modal":
        check.text(view.get("title"), 24, "/view/title", plain=True)
        for name in ("submit", "close"):
            if name in view:
                check.text(view[name], 24, f"/view/{name}", plain=True)
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            check.fail("submit is required when the view has input blocks", "/view/submit")
    for name, limit in (("callback_id", 255), ("private_metadata", 3000), ("external_id", 255)):
        if name in view:
            check.length(view[name], limit, f"/view/{name}")
    return check.problems


def errors_problems(response: dict[str, Any], view: dict[str, Any]) -> list[str]:
    """A `response_action` answer to a view submission: errors only for the view's input blocks."""
    check = Checker()
    action = response.get("response_action")
    if action == "errors":
        errors = response.get("errors")
        inputs = {
            b.get("block_id")
            for b in view.get("blocks") or []
            if isinstance(b, dict) and b.get("type") == "input"
        }
        if not isinstance(errors, dict) or not errors:
            check.fail("errors must be a non-empty object", "/errors")
        else:
            for block_id, message in errors.items():
                if block_id not in inputs:
                    check.fail(f"no input block with block_id `{block_id}` in the view", "/errors")
                check.length(message, 3000, f"/errors/{block_id}", minimum=1)
    elif action in ("update", "push"):
        check.problems.extend(view_problems(response.get("view")))
    elif action not in (None, "clear"):
        check.fail(f"unknown response_action `{action}`", "/response_action")
    return check.problems


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a payload, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)
