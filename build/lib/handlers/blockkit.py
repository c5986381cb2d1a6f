"""Block Kit's building blocks and limits, and small text helpers for Slack messages."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain.errors import ECHO_LIMIT, clip
from bot.domain.numbers import number, percent

Block = dict[str, Any]
SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
OPTION_LIMIT = 100
MEDALS = {1: ":first_place_medal:", 2: ":second_place_medal:", 3: ":third_place_medal:"}


BUTTON_TEXT_LIMIT = 75
OPTION_TEXT_LIMIT = 75
HEADER_LIMIT = 150


def confidence_trend(confidences: Sequence[int]) -> str:
    """`7 ↑` style: the latest confidence and its direction since the previous check-in."""
    if not confidences:
        return "no confidence yet"
    latest = confidences[-1]
    if len(confidences) == 1:
        return f"{latest}/10"
    previous = confidences[-2]
    arrow = "↑" if latest > previous else "↓" if latest < previous else "→"
    return f"{latest}/10 {arrow} (was {previous})"


def progress_bar(progress: float, width: int = 10) -> str:
    """A text bar for Slack: `▓▓▓▓░░░░░░ 40%` (over 100% shown, bar full)."""
    if not math.isfinite(progress):
        return "░" * width + " " + percent(progress)
    filled = round(min(1.0, max(0.0, progress)) * width)
    return "▓" * filled + "░" * (width - filled) + " " + percent(progress)


def echo(text: str) -> str:
    """User input quoted back in a message, cut to about 100 characters."""
    return clip(text, ECHO_LIMIT)


def section(text: str) -> Block:
    """A mrkdwn section, cut to Slack's 3000-character limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    """A small grey context line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> Block:
    """A button element; its label is cut to Slack's 75 characters."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, BUTTON_TEXT_LIMIT), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def packed_sections(lines: Iterable[str], max_blocks: int) -> list[Block]:
    """Pack lines into as few sections as fit 3000 characters each, at most `max_blocks`."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= SECTION_LIMIT:
            current = candidate
            continue
        blocks.append(section(current))
        current = line
    if current:
        blocks.append(section(current))
    if len(blocks) > max_blocks:
        blocks = [*blocks[: max_blocks - 1], section("…and more. Ask an admin to trim the list.")]
    return blocks


def plural(count: int, word: str) -> str:
    """`1 point`, `3 points`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def pts(points: int) -> str:
    """`*1* pt`, `*1,200* pts`: a figure in bold and its unit."""
    return f"*{number(points)}* {'pt' if abs(points) == 1 else 'pts'}"


def badge(rank: int | None, points: int) -> str:
    """A medal for the top three with points, the rank for the rest; nothing without points."""
    if rank is None or points <= 0:
        return "•"
    return MEDALS.get(rank, f"{rank}.")


def notice_modal(title: str, text: str, **fields: str) -> dict[str, Any]:
    """A modal that only says something, with a Close button."""
    return {
        "type": "modal",
        **fields,
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text)],
    }


def option(text: str, value: str, description: str = "") -> dict[str, Any]:
    """A select or checkbox option, its texts cut to what Slack takes."""
    made: dict[str, Any] = {
        "text": {"type": "plain_text", "text": clip(text, OPTION_TEXT_LIMIT)},
        "value": value,
    }
    if description:
        made["description"] = {
            "type": "plain_text",
            "text": clip(description, OPTION_TEXT_LIMIT),
        }
    return made


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = True, hint: str = ""
) -> Block:
    """An input block of a form."""
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


def text_input(
    action_id: str, placeholder: str = "", *, multiline: bool = False, max_length: int = 0
) -> dict[str, Any]:
    """A plain text input element."""
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


def static_select(
    action_id: str,
    options: list[dict[str, Any]],
    *,
    first_chosen: bool = False,
    placeholder: str = "",
) -> dict[str, Any]:
    """A menu of `options`; `first_chosen` starts it on the first."""
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    if first_chosen and options:
        element["initial_option"] = options[0]
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    return element
