"""Block Kit as HTML, for the local Slack sandbox: the blocks and elements okrbot sends.

Rendering is server-side and escapes every text. Interactive elements carry what the page
needs to send Slack's payload back (`data-action-id`, `data-block-id`, `data-value`, and a
confirm dialog as JSON), so the page's script stays small.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

EMOJI = {
    "calendar": "📅", "checkered_flag": "🏁", "clap": "👏", "confused": "😕",
    "construction": "🚧", "dart": "🎯", "file_cabinet": "🗄️", "fire": "🔥",
    "first_place_medal": "🥇", "second_place_medal": "🥈", "third_place_medal": "🥉",
    "hourglass": "⌛", "hourglass_flowing_sand": "⏳", "large_green_circle": "🟢",
    "large_yellow_circle": "🟡", "red_circle": "🔴", "leftwards_arrow_with_hook": "↩️",
    "memo": "📝", "no_entry_sign": "🚫", "palm_tree": "🌴", "rocket": "🚀", "tada": "🎉",
    "trophy": "🏆", "warning": "⚠️", "wave": "👋", "white_check_mark": "✅", "x": "❌",
    "thumbsup": "👍", "+1": "👍", "heart": "❤️", "muscle": "💪", "eyes": "👀",
}  # fmt: skip
Names = Mapping[str, str]
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]+))?>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")
_CODE_BLOCK = re.compile(r"```\n?(.+?)\n?```", re.DOTALL)


def emoji(text: str) -> str:
    """`:tada:` as 🎉; unknown shortcodes stay as typed."""
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _link(match: re.Match[str], names: Names) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        user = target[1:]
        shown = names.get(user) or label or user
        return f'<span class="mention" data-user="{html.escape(user)}">@{html.escape(shown)}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{html.escape(label or target[1:])}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(label or target[1:])}</span>'
    if re.match(r"^(https?|slack|mailto):", target):
        return (
            f'<a href="{html.escape(target, quote=True)}" target="_blank" rel="noopener">'
            f"{html.escape(label or target)}</a>"
        )
    return html.escape(match.group(0))


def mrkdwn(text: str, names: Names | None = None) -> str:
    """Slack's mrkdwn as HTML: bold, italics, strikes, code, quotes, links, mentions, emoji."""
    names = names or {}
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(f"<code>{html.escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    links: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        links.append(_link(match, names))
        return f"\x01{len(links) - 1}\x01"

    text = text.replace("\x00", "").replace("\x01", "").replace("\x02", "")  # placeholders
    blocks: list[str] = []

    def keep_block(match: re.Match[str]) -> str:  # ```preformatted```, as Slack shows it
        blocks.append(f"<pre>{html.escape(match.group(1))}</pre>")
        return f"\x02{len(blocks) - 1}\x02"

    text = _CODE_BLOCK.sub(keep_block, text)
    lines = []
    for raw in text.split("\n"):
        quoted = raw.startswith(">")
        line = raw[1:] if quoted else raw
        line = _CODE.sub(keep_code, line)
        line = _LINK.sub(keep_link, line)
        line = html.escape(line, quote=False)
        line = _BOLD.sub(r"<b>\1</b>", line)
        line = _ITALIC.sub(r"<i>\1</i>", line)
        line = _STRIKE.sub(r"<s>\1</s>", line)
        line = emoji(line)
        line = re.sub(r"\x01(\d+)\x01", lambda m: links[int(m.group(1))], line)
        line = re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], line)
        lines.append(f"<blockquote>{line}</blockquote>" if quoted else line)
    joined = "<br>".join(lines).replace("</blockquote><br><blockquote>", "<br>")
    return re.sub(r"\x02(\d+)\x02", lambda m: blocks[int(m.group(1))], joined)


def text_object(obj: Any, names: Names | None = None) -> str:
    """A `plain_text` or `mrkdwn` object."""
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn(text, names)
    return emoji(html.escape(text, quote=False)) if obj.get("emoji", True) else html.escape(text)


def _data(**values: Any) -> str:
    return " ".join(
        f'data-{name.replace("_", "-")}="{html.escape(str(value), quote=True)}"'
        for name, value in values.items()
        if value is not None
    )


def _option_value(option: Any) -> str:
    return str(option.get("value", "")) if isinstance(option, dict) else ""


def element(node: dict[str, Any], block_id: str, names: Names) -> str:
    """One interactive element."""
    kind = node.get("type")
    action = node.get("action_id")
    if kind == "button":
        confirm = json.dumps(node["confirm"]) if "confirm" in node else None
        style = f" button-{node['style']}" if node.get("style") in ("primary", "danger") else ""
        attrs = _data(
            action_id=action, block_id=block_id, value=node.get("value", ""), confirm=confirm,
            url=node.get("url"),
        )  # fmt: skip
        return f'<button class="button{style}" {attrs}>{text_object(node.get("text"))}</button>'
    if kind in ("static_select", "users_select"):
        placeholder = text_object(node.get("placeholder")) or "Select…"
        options = [f'<option value="">{placeholder}</option>']
        initial = _option_value(node.get("initial_option"))
        if kind == "users_select":
            choices = [
                (user, html.escape(name))
                for user, name in sorted(names.items(), key=lambda n: n[1])
            ]
            initial = str(node.get("initial_user") or "")
        else:
            choices = [
                (_option_value(o), text_object(o.get("text"))) for o in node.get("options") or []
            ]
        for value, label in choices:
            chosen = " selected" if value and value == initial else ""
            options.append(
                f'<option value="{html.escape(value, quote=True)}"{chosen}>{label}</option>'
            )
        attrs = _data(action_id=action, block_id=block_id, kind=kind)
        return f'<select class="select" {attrs}>{"".join(options)}</select>'
    if kind == "checkboxes":
        ticked = {_option_value(o) for o in node.get("initial_options") or []}
        boxes = []
        for option in node.get("options") or []:
            value = _option_value(option)
            mark = " checked" if value in ticked else ""
            described = (
                f'<span class="description">{text_object(option["description"], names)}</span>'
                if option.get("description")
                else ""
            )
            boxes.append(
                f'<label class="checkbox"><input type="checkbox" value="{html.escape(value, quote=True)}"'
                f"{mark}> {text_object(option.get('text'), names)}{described}</label>"
            )
        return f'<div class="checkboxes" {_data(action_id=action, block_id=block_id, kind=kind)}>{"".join(boxes)}</div>'
    if kind == "plain_text_input":
        attrs = _data(action_id=action, block_id=block_id, kind=kind)
        limit = f' maxlength="{int(node["max_length"])}"' if "max_length" in node else ""
        placeholder = html.escape(str((node.get("placeholder") or {}).get("text", "")), quote=True)
        initial = html.escape(str(node.get("initial_value", "")))
        if node.get("multiline"):
            return f'<textarea class="input" placeholder="{placeholder}"{limit} {attrs}>{initial}</textarea>'
        return (
            f'<input class="input" type="text" placeholder="{placeholder}" value="{initial}"'
            f"{limit} {attrs}>"
        )
    if kind == "image":
        return _image(node)
    return f'<span class="unsupported">{html.escape(str(kind))}</span>'


def _image(node: dict[str, Any]) -> str:
    url = html.escape(str(node.get("image_url", "")), quote=True)
    alt = html.escape(str(node.get("alt_text", "")), quote=True)
    return f'<img class="image" src="{url}" alt="{alt}">'


def _section(block: dict[str, Any], block_id: str, names: Names) -> str:
    parts = []
    if "text" in block:
        parts.append(f'<div class="section-text">{text_object(block["text"], names)}</div>')
    if block.get("fields"):
        fields = "".join(
            f'<div class="field">{text_object(f, names)}</div>' for f in block["fields"]
        )
        parts.append(f'<div class="fields">{fields}</div>')
    body = f'<div class="section-body">{"".join(parts)}</div>'
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        body += f'<div class="accessory">{element(accessory, block_id, names)}</div>'
    return body


def _input(block: dict[str, Any], block_id: str, names: Names) -> str:
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    hint = block.get("hint")
    return (
        f'<label class="label">{text_object(block.get("label"))}{optional}</label>'
        + element(block.get("element") or {}, block_id, names)
        + (f'<div class="hint">{text_object(hint)}</div>' if hint else "")
        + f'<div class="field-error" data-error-for="{html.escape(block_id, quote=True)}"></div>'
    )


RENDERERS: dict[str, Callable[[dict[str, Any], str, Names], str]] = {
    "section": _section,
    "input": _input,
    "header": lambda b, _i, _n: f"<h3>{text_object(b.get('text'))}</h3>",
    "divider": lambda _b, _i, _n: "<hr>",
    "context": lambda b, _i, n: " ".join(
        _image(e) if e.get("type") == "image" else text_object(e, n) for e in b.get("elements", [])
    ),
    "actions": lambda b, i, n: " ".join(element(e, i, n) for e in b.get("elements", [])),
    "image": lambda b, _i, _n: _image(b),
}


def blocks_html(blocks: list[dict[str, Any]], names: Names | None = None) -> str:
    """A list of blocks; each gets its block_id (or the one Slack would generate)."""
    names = names or {}
    out = []
    for index, block in enumerate(blocks):
        kind = str(block.get("type"))
        block_id = str(block.get("block_id") or f"b{index}")
        render = RENDERERS.get(kind)
        inner = (
            render(block, block_id, names) if render else f"<em>[{html.escape(kind)} block]</em>"
        )
        out.append(
            f'<div class="block block-{html.escape(kind)}" data-block-id="{html.escape(block_id, quote=True)}">'
            f"{inner}</div>"
        )
    return "".join(out)


def message_html(message: dict[str, Any], names: Names | None = None) -> str:
    """A message: its blocks, or its text when it has none."""
    if message.get("blocks"):
        return blocks_html(message["blocks"], names)
    text = mrkdwn(str(message.get("text", "")), names)
    return f'<div class="block block-section"><div class="section-text">{text}</div></div>'
