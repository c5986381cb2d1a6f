"""The checker behind the fake Slack's Block Kit rules, and the rules for interactive elements."""

from __future__ import annotations

from typing import Any

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
    check: Checker, options: Any, low: int, high: int, *, path: str, plain: bool
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
                _options(check, group.get("options"), 1, 100, path=f"{where}/options", plain=True)
        else:
            _options(check, element.get("options"), 1, 100, path=f"{path}/options", plain=True)
        _initial_options(check, element, path)
    elif kind in ("checkboxes", "radio_buttons"):
        _options(check, element.get("options"), 1, 10, path=f"{path}/options", plain=False)
        _initial_options(check, element, path)
    elif kind == "overflow":
        _options(check, element.get("options"), 1, 5, path=f"{path}/options", plain=True)
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
