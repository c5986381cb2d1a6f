"""Slack's Block Kit rules, checked the way Slack checks them.

`message_problems`, `view_problems` and `errors_problems` return what Slack would answer
in `response_metadata.messages` for a payload that breaks a rule: a reason followed by the
JSON pointer of the offending field. An empty list means Slack accepts the payload.

slack_sdk's models check some of these rules; they are asked first, and the rules they do
not check (uniqueness, most counts, lengths of nested objects) are checked here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block as SdkBlock

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
BLOCK_TYPES = {
    "table",
    "markdown",
    "section",
    "context",
    "header",
    "divider",
    "actions",
    "input",
    "image",
    "rich_text",
    "video",
    "file",
}
SELECTS = {
    "static_select",
    "multi_static_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
    "external_select",
    "multi_external_select",
}
PICKERS = {"checkboxes", "radio_buttons", "datepicker", "timepicker", "datetimepicker"}
# Which elements each place accepts.
ACTIONS_ELEMENTS = SELECTS | PICKERS | {"button", "overflow"}
ACCESSORY_ELEMENTS = ACTIONS_ELEMENTS | {"image"}
INPUT_ELEMENTS = (
    SELECTS | PICKERS | {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
)
ELEMENT_TYPES = ACCESSORY_ELEMENTS | INPUT_ELEMENTS


class Checker:
    """Collects Slack-style error messages while walking one payload."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, reason: str, path: str) -> None:
        self.problems.append(f"{reason} [json-pointer:{path}]")

    def length(self, value: Any, limit: int, path: str, *, minimum: int = 0) -> None:
        if not isinstance(value, str):
            self.fail("must be a string", path)
        elif len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", path)
        elif len(value) < minimum:
            self.fail(f"must be at least {minimum} characters", path)

    def text(
        self, obj: Any, limit: int, path: str, *, plain: bool = False, required: bool = True
    ) -> None:
        """A text object: `plain_text` or `mrkdwn`, non-empty, within `limit` characters."""
        if obj is None:
            if required:
                self.fail("must provide an object", path)
            return
        if not isinstance(obj, dict):
            self.fail("must be an object", path)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.fail(f"must be one of {', '.join(allowed)}", f"{path}/type")
        if kind == "mrkdwn" and "emoji" in obj:
            self.fail("emoji is only allowed on plain_text", f"{path}/emoji")
        self.length(obj.get("text"), limit, f"{path}/text", minimum=1)

    def count(self, items: Any, low: int, high: int, path: str) -> list[Any]:
        if not isinstance(items, list):
            self.fail("must be an array", path)
            return []
        if len(items) > high:
            self.fail(f"must provide no more than {high} items", path)
        if len(items) < low:
            self.fail(f"must provide at least {low} item{'s' if low != 1 else ''}", path)
        return items


# -- elements ------------------------------------------------------------------------------


def _confirm(check: Checker, confirm: Any, path: str) -> None:
    if not isinstance(confirm, dict):
        check.fail("must be an object", path)
        return
    check.text(confirm.get("title"), 100, f"{path}/title", plain=True)
    check.text(confirm.get("text"), 300, f"{path}/text")
    check.text(confirm.get("confirm"), 30, f"{path}/confirm", plain=True)
    check.text(confirm.get("deny"), 30, f"{path}/deny", plain=True)


def _options(
    check: Checker, options: Any, low: int, high: int, path: str, *, plain: bool
) -> list[str]:
    values = []
    for i, option in enumerate(check.count(options, low, high, path)):
        where = f"{path}/{i}"
        if not isinstance(option, dict):
            check.fail("must be an object", where)
            continue
        check.text(option.get("text"), 75, f"{where}/text", plain=plain)
        check.length(option.get("value"), 150, f"{where}/value", minimum=1)
        if "description" in option:
            check.text(option["description"], 75, f"{where}/description", plain=plain)
        values.append(str(option.get("value")))
    if len(set(values)) != len(values):
        check.fail("option values must be unique", path)
    return values


def _initial_options(check: Checker, element: dict[str, Any], path: str) -> None:
    """Slack wants each initial option to be exactly one of the options, text and all."""
    offered = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        offered += list(group.get("options") or []) if isinstance(group, dict) else []
    chosen = list(element.get("initial_options") or [])
    if "initial_option" in element:
        chosen.append(element["initial_option"])
    for option in chosen:
        if option not in offered:
            check.fail("initial option must be one of the options", path)


def element_problems(
    check: Checker, element: Any, path: str, allowed: set[str] = ELEMENT_TYPES
) -> str | None:
    """Check one interactive element in a place that takes `allowed` kinds; return its action_id."""
    if not isinstance(element, dict):
        check.fail("must be an object", path)
        return None
    kind = element.get("type")
    if kind not in allowed:
        check.fail(f"unsupported element type `{kind}` here", f"{path}/type")
        return None
    if kind == "image":
        check.length(element.get("image_url"), 3000, f"{path}/image_url", minimum=1)
        check.length(element.get("alt_text"), 2000, f"{path}/alt_text", minimum=1)
        return None
    action_id = element.get("action_id")
    if action_id is not None:
        check.length(action_id, 255, f"{path}/action_id", minimum=1)
    if "confirm" in element:
        _confirm(check, element["confirm"], f"{path}/confirm")
    if "placeholder" in element:
        check.text(element["placeholder"], 150, f"{path}/placeholder", plain=True)
    if kind == "button":
        check.text(element.get("text"), 75, f"{path}/text", plain=True)
        if "value" in element:
            check.length(element["value"], 2000, f"{path}/value")
        if "url" in element:
            check.length(element["url"], 3000, f"{path}/url", minimum=1)
        if element.get("style") not in (None, "primary", "danger"):
            check.fail("must be one of primary, danger", f"{path}/style")
    elif kind in ("static_select", "multi_static_select"):
        if "option_groups" in element:
            groups = check.count(element["option_groups"], 1, 100, f"{path}/option_groups")
            for i, group in enumerate(groups):
                where = f"{path}/option_groups/{i}"
                check.text(group.get("label"), 75, f"{where}/label", plain=True)
                _options(check, group.get("options"), 1, 100, f"{where}/options", plain=True)
        else:
            _options(check, element.get("options"), 1, 100, f"{path}/options", plain=True)
        _initial_options(check, element, path)
    elif kind in ("checkboxes", "radio_buttons"):
        _options(check, element.get("options"), 1, 10, f"{path}/options", plain=False)
        _initial_options(check, element, path)
    elif kind == "overflow":
        _options(check, element.get("options"), 1, 5, f"{path}/options", plain=True)
    elif kind == "plain_text_input":
        _text_input(check, element, path)
    return action_id if isinstance(action_id, str) else None


def _text_input(check: Checker, element: dict[str, Any], path: str) -> None:
    maximum = element.get("max_length", 3000)
    minimum = element.get("min_length", 0)
    if not isinstance(maximum, int) or not 1 <= maximum <= 3000:
        check.fail("must be between 1 and 3000", f"{path}/max_length")
        maximum = 3000
    if not isinstance(minimum, int) or not 0 <= minimum <= 3000 or minimum > maximum:
        check.fail("must be between 0 and max_length", f"{path}/min_length")
    if "initial_value" in element:
        check.length(element["initial_value"], maximum, f"{path}/initial_value")


# -- blocks --------------------------------------------------------------------------------


def _block(check: Checker, block: Any, path: str, *, in_view: bool) -> list[str]:
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
    if kind in ("table", "markdown"):
        return []  # newer blocks okrbot does not send
    if "block_id" in block:
        check.length(block["block_id"], 255, f"{path}/block_id", minimum=1)
    action_ids: list[str | None] = []
    inputs: list[str] = []
    if kind == "section":
        if "text" not in block and "fields" not in block:
            check.fail("must provide text or fields", path)
        if "text" in block:
            check.text(block["text"], 3000, f"{path}/text")
        if "fields" in block:
            for i, field in enumerate(check.count(block["fields"], 1, 10, f"{path}/fields")):
                check.text(field, 2000, f"{path}/fields/{i}")
        if "accessory" in block:
            action_ids.append(
                element_problems(check, block["accessory"], f"{path}/accessory", ACCESSORY_ELEMENTS)
            )
    elif kind == "header":
        check.text(block.get("text"), 150, f"{path}/text", plain=True)
    elif kind == "context":
        for i, element in enumerate(check.count(block.get("elements"), 1, 10, f"{path}/elements")):
            where = f"{path}/elements/{i}"
            if isinstance(element, dict) and element.get("type") == "image":
                element_problems(check, element, where)
            else:
                check.text(element, 3000, where)
    elif kind == "actions":
        for i, element in enumerate(check.count(block.get("elements"), 1, 25, f"{path}/elements")):
            action_ids.append(
                element_problems(check, element, f"{path}/elements/{i}", ACTIONS_ELEMENTS)
            )
    elif kind == "input":
        check.text(block.get("label"), 2000, f"{path}/label", plain=True)
        if "hint" in block:
            check.text(block["hint"], 2000, f"{path}/hint", plain=True)
        if "element" not in block:
            check.fail("must provide an element", f"{path}/element")
        else:
            action_id = element_problems(check, block["element"], f"{path}/element", INPUT_ELEMENTS)
            action_ids.append(action_id)
            if action_id and "block_id" not in block:
                inputs.append(action_id)
    elif kind == "image":
        check.length(block.get("image_url"), 3000, f"{path}/image_url", minimum=1)
        check.length(block.get("alt_text"), 2000, f"{path}/alt_text", minimum=1)
        if "title" in block:
            check.text(block["title"], 2000, f"{path}/title", plain=True)
    named = [a for a in action_ids if a]
    if len(set(named)) != len(named):
        check.fail("action_id values must be unique within a block", path)
    return inputs


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
        for action_id in _block(check, block, where, in_view=in_view):
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
