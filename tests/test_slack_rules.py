"""The strict fake Slack refuses each Block Kit rule it claims to check."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.blockkit_rules import errors_problems, message_problems, view_problems
from bot.sandbox.slack_api import FakeSlack


def txt(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": kind, "text": text}


def button(text: str = "Go", action_id: str = "go", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "text": txt(text), "action_id": action_id, "value": value}


def option(text: str = "One", value: str = "1") -> dict[str, Any]:
    return {"text": txt(text), "value": value}


def options(count: int) -> list[dict[str, Any]]:
    return [option(f"Option {n}", str(n)) for n in range(count)]


def section(text: str = "hi") -> dict[str, Any]:
    return {"type": "section", "text": txt(text, "mrkdwn")}


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def message(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"text": "fallback", "blocks": list(blocks)}


def input_block(element: dict[str, Any], block_id: str | None = "b") -> dict[str, Any]:
    block = {"type": "input", "label": txt("Label"), "element": element}
    if block_id:
        block["block_id"] = block_id
    return block


def text_input(**extra: Any) -> dict[str, Any]:
    return {"type": "plain_text_input", "action_id": "t", **extra}


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": txt("Title"),
        "submit": txt("Save"),
        "blocks": list(blocks),
        **extra,
    }


MESSAGE_CASES = [
    ("duplicate block_id", message(actions(button(), block_id="x"), section() | {"block_id": "x"})),
    ("unique within a block", message(actions(button(action_id="a"), button(action_id="a")))),
    ("no more than 50 items", message(*[section() for _ in range(51)])),
    ("less than 3001 characters", message(section("x" * 3001))),
    ("less than 151 characters", message({"type": "header", "text": txt("h" * 151)})),
    (
        "no more than 10 items",
        {
            "text": "t",
            "blocks": [{"type": "context", "elements": [txt("c", "mrkdwn")] * 11}],
        },
    ),
    (
        "no more than 25 items",
        message(actions(*[button(action_id=f"a{n}") for n in range(26)])),
    ),
    ("less than 76 characters", message(actions(button(text="b" * 76)))),
    ("less than 2001 characters", message(actions(button(value="v" * 2001)))),
    (
        "less than 76 characters",
        message(
            actions({"type": "static_select", "action_id": "s", "options": [option("o" * 76)]})
        ),
    ),
    (
        "less than 151 characters",
        message(
            actions(
                {"type": "static_select", "action_id": "s", "options": [option("o", "v" * 151)]}
            )
        ),
    ),
    (
        "no more than 100 items",
        message(actions({"type": "static_select", "action_id": "s", "options": options(101)})),
    ),
    (
        "no more than 10 items",
        message(actions({"type": "checkboxes", "action_id": "c", "options": options(11)})),
    ),
    (
        "no more than 10 items",
        message(actions({"type": "radio_buttons", "action_id": "r", "options": options(11)})),
    ),
    (
        "no more than 5 items",
        message(actions({"type": "overflow", "action_id": "o", "options": options(6)})),
    ),
    (
        "at least 1 item",
        message(actions({"type": "overflow", "action_id": "o", "options": []})),
    ),
    ("text fallback is required", {"blocks": [section()]}),
    ("must be one of primary, danger", message(actions(button() | {"style": "green"}))),
    (
        "less than 101 characters",
        message(
            actions(
                button()
                | {
                    "confirm": {
                        "title": txt("t" * 101),
                        "text": txt("sure?"),
                        "confirm": txt("Yes"),
                        "deny": txt("No"),
                    }
                }
            )
        ),
    ),
    ("unsupported type", message({"type": "carousel"})),
    (
        "unsupported element type `image` here",
        message(actions({"type": "image", "image_url": "https://x", "alt_text": "x"})),
    ),
    (
        "unsupported element type `plain_text_input` here",
        message(section() | {"accessory": {"type": "plain_text_input", "action_id": "t"}}),
    ),
    (
        "initial option must be one of the options",
        message(
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [option("One", "1")],
                    "initial_option": option("Uno", "1"),
                }
            )
        ),
    ),
    ("must be at least 1 characters", message(section(""))),
]


@pytest.mark.parametrize(("reason", "payload"), MESSAGE_CASES)
def test_each_message_rule_is_refused(reason: str, payload: dict[str, Any]) -> None:
    problems = message_problems(payload)
    assert any(reason in problem for problem in problems), problems
    assert all("[json-pointer:/" in problem for problem in problems)


VIEW_CASES = [
    ("no more than 100 items", modal(*[section() for _ in range(101)])),
    ("less than 25 characters", modal(section(), title=txt("t" * 25))),
    ("less than 25 characters", modal(section(), submit=txt("s" * 25))),
    ("less than 25 characters", modal(section(), close=txt("c" * 25))),
    ("must be between 1 and 3000", modal(input_block(text_input(max_length=3001)))),
    ("must be between 1 and 3000", modal(input_block(text_input(max_length=0)))),
    (
        "less than 11 characters",
        modal(input_block(text_input(max_length=10, initial_value="x" * 11))),
    ),
    (
        "duplicate input action_id",
        modal(input_block(text_input(), None), input_block(text_input(), None)),
    ),
    ("duplicate block_id", modal(input_block(text_input(), "a"), section() | {"block_id": "a"})),
    (
        "submit is required",
        {"type": "modal", "title": txt("T"), "blocks": [input_block(text_input())]},
    ),
    ("less than 3001 characters", modal(section(), private_metadata="m" * 3001)),
]


@pytest.mark.parametrize(("reason", "view"), VIEW_CASES)
def test_each_view_rule_is_refused(reason: str, view: dict[str, Any]) -> None:
    problems = view_problems(view)
    assert any(reason in problem for problem in problems), problems


def test_a_view_home_allows_100_blocks_and_a_message_50() -> None:
    assert view_problems({"type": "home", "blocks": [section() for _ in range(100)]}) == []
    assert message_problems(message(*[section() for _ in range(50)])) == []


def test_sound_payloads_pass() -> None:
    sound = message(
        {"type": "header", "text": txt("h" * 150)},
        section("x" * 3000),
        actions(*[button(text="b" * 75, action_id=f"a{n}") for n in range(25)]),
        actions(
            {"type": "static_select", "action_id": "s", "options": options(100)},
            {"type": "overflow", "action_id": "o", "options": options(5)},
        ),
    )
    assert message_problems(sound) == []
    form = modal(
        input_block(text_input(max_length=3000, initial_value="ok"), "one"),
        input_block(text_input(), "two"),  # same action_id, told apart by block_id
        title=txt("t" * 24),
    )
    assert view_problems(form) == []


def test_form_errors_may_name_only_input_blocks_of_the_view() -> None:
    view = modal(input_block(text_input(), "title"), section() | {"block_id": "intro"})
    assert (
        errors_problems({"response_action": "errors", "errors": {"title": "Too long"}}, view) == []
    )
    for block_id in ("level", "intro"):
        problems = errors_problems({"response_action": "errors", "errors": {block_id: "x"}}, view)
        assert problems == [
            f"no input block with block_id `{block_id}` in the view [json-pointer:/errors]"
        ]


def test_the_fake_answers_like_slack_and_remembers_the_refusal(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    bad = [actions(button(action_id="same"), button(action_id="same"))]
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="t", blocks=bad)
    assert refused.value.response["error"] == "invalid_blocks"
    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] action_id values must be unique within a block [json-pointer:/blocks/0]"
    ]
    with pytest.raises(SlackApiError) as view_refused:
        client.views_open(trigger_id="1.1", view=modal(section(), title=txt("t" * 25)))
    assert view_refused.value.response["error"] == "invalid_arguments"
    body = json.dumps({"text": "t", "blocks": [section("x" * 3001)]}).encode()
    request = urllib.request.Request(
        fake_slack.response_url(), body, {"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as http_error:
        urllib.request.urlopen(request, timeout=5)
    assert http_error.value.code == 400
    assert json.loads(http_error.value.read())["error"] == "invalid_blocks"
    refusals = fake_slack.take_rejections()
    assert [call.method for call, _ in refusals] == [
        "chat.postMessage",
        "views.open",
        "response_url",
    ]


def test_the_fake_refuses_an_update_of_a_stale_or_unknown_view(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    opened = client.views_open(trigger_id="1.1", view=modal(section()))["view"]
    first = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(section()))
    assert first["view"]["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(section()))
    assert stale.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as unknown:
        client.views_update(view_id="V0NOPE", view=modal(section()))
    assert unknown.value.response["error"] == "not_found"
