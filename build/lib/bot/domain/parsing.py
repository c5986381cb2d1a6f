"""Parsing of slash-command text into plain requests. Every user mistake raises UserError."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import UserError, clip
from bot.domain.scoring import MAX_NOTE_LENGTH, MAX_QUANTITY, MIN_QUANTITY

HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
# A word that is meant as a quantity, in any notation a number is written in: digits with
# separators or a sign, a `3x` multiplier, exponents (`1e3`), hex, octal and binary (`0x10`),
# fractions (`1/2`, `½`) and digits of other scripts (`３`, `٣`). Anything else starting with
# a digit (`3pm`, `2nd`) starts the note. Only plain whole numbers are accepted as quantities;
# the rest are refused with the same message as `2.5`, never taken as the note.
_QUANTITY_LIKE = re.compile(
    r"^[-+]?\d[\d.,_]*(?:[eE][-+]?\d+)?x?$"
    r"|^[-+.]\d"
    r"|^[-+]?0[xXoObB][0-9a-fA-F_]+$"
    r"|^[-+]?\d+/\d+$"
    r"|^[-+]?[\u00bc-\u00be\u2150-\u215e]$"
)
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class CatalogItem:
    """The part of an activity type that parsing needs."""

    key: str
    name: str


@dataclass(frozen=True)
class LogRequest:
    """`/log <activity> [quantity] [note]`, resolved against the catalog."""

    activity_key: str
    quantity: int
    note: str
    understood: str | None = None  # the words read as the activity, when not its exact name


def parse_quantity(raw: str) -> int:
    """A whole number from 1 to 1000, or a UserError saying what is wrong with `raw`."""
    text = raw.strip().replace(",", "")
    if not _WHOLE_NUMBER.match(text):
        raise UserError(
            f"Quantity must be a whole number from {MIN_QUANTITY} to {MAX_QUANTITY}, "
            f"not `{raw.strip()}`.",
            field="quantity",
        )
    value = int(text)
    if not MIN_QUANTITY <= value <= MAX_QUANTITY:
        raise UserError(
            f"Quantity must be from {MIN_QUANTITY} to {MAX_QUANTITY}; `{value}` is out of range.",
            field="quantity",
        )
    return value


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "contains invisible control characters (such as NUL); type it again without them"


def has_control(text: str) -> bool:
    """Whether `text` holds characters no one types and databases refuse (NUL and the like)."""
    return CONTROL.search(text) is not None


def check_note(note: str) -> str:
    """The note stripped, or a UserError when it is longer than 500 characters."""
    note = note.strip()
    if has_control(note):
        raise UserError(f"Your note {CONTROL_MESSAGE}.", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError(
            f"Notes can be at most {MAX_NOTE_LENGTH} characters; yours has {len(note)}.",
            field="note",
        )
    return note


@dataclass(frozen=True)
class ActivityMatch:
    key: str
    used: int  # how many words named it
    exact: bool  # False when read from a plural or a prefix


def _singulars(word: str) -> list[str]:
    """`calls` -> [`call`], `boxes` -> [`boxe`, `box`], `proposals sent` untouched."""
    forms = []
    if word.endswith("s") and len(word) > 2:
        forms.append(word[:-1])
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    return forms


def _find_activity(words: Sequence[str], catalog: Sequence[CatalogItem]) -> ActivityMatch | None:
    """The activity the first words name: exactly, as a plural, or by an unambiguous prefix.

    Raises UserError when a prefix fits several activities."""
    by_label: dict[str, str] = {}
    for item in catalog:
        by_label.setdefault(item.name.casefold(), item.key)
    for item in catalog:
        by_label[item.key.casefold()] = item.key
    lowered = [word.casefold() for word in words]
    for used in range(len(words), 0, -1):
        phrase = " ".join(lowered[:used])
        if phrase in by_label:
            return ActivityMatch(by_label[phrase], used, exact=True)
    for used in range(len(words), 0, -1):
        for position in range(used):  # any one word as a plural: `proposals sent`, `calls`
            for singular in _singulars(lowered[position]):
                phrase = " ".join([*lowered[:position], singular, *lowered[position + 1 : used]])
                if phrase in by_label:
                    return ActivityMatch(by_label[phrase], used, exact=False)
    first = words[0].casefold() if words else ""
    if len(first) >= 2 and not first.isdigit():
        keys = sorted({key for label, key in by_label.items() if label.startswith(first)})
        if len(keys) == 1:
            return ActivityMatch(keys[0], 1, exact=False)
        if len(keys) > 1:
            options = " or ".join(f"`{key}`" for key in keys[:5])
            if len(keys) > 5:
                options = ", ".join(f"`{key}`" for key in keys[:5]) + f" or {len(keys) - 5} more"
            raise UserError(
                f"`{clip(words[0])}` could be {options}: which one? See `/log help`.",
                field="activity",
            )
    return None


class UnknownActivity(UserError):
    """`/log` named no activity of the catalog; `fix` is the same text with the closest
    activity in its place (quantity and note kept), when one is close."""

    def __init__(self, message: str, fix: str | None) -> None:
        super().__init__(message, field="activity")
        self.fix = fix


def closest_activity(word: str, catalog: Sequence[CatalogItem]) -> str | None:
    """The key of the activity whose key or name is closest to `word`, if any is close."""
    labels = {item.key.casefold(): item.key for item in catalog}
    labels.update({item.name.casefold(): item.key for item in catalog})
    close = difflib.get_close_matches(word.casefold(), list(labels), n=1, cutoff=0.5)
    return labels[close[0]] if close else None


def unknown_activity_message(word: str, catalog: Sequence[CatalogItem]) -> str:
    """Say the activity is unknown and suggest the closest key."""
    keys = [item.key for item in catalog]
    suggestion = closest_activity(word, catalog)
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    listing = ", ".join(f"`{key}`" for key in keys)
    if len(keys) > 20:
        listing = ", ".join(f"`{key}`" for key in keys[:20]) + f" and {len(keys) - 20} more"
    return (
        f"I don't know the activity `{clip(word)}`.{hint} Activities: {listing}. See `/log help`."
    )


def parse_log(text: str, catalog: Sequence[CatalogItem]) -> LogRequest:
    """Parse `/log` text: `call 12 outbound to retail`, `3 calls`, `proposal sent 2`, `demos`.

    The note is the rest of the text exactly as typed, from the first word after the quantity.
    """
    tokens = [(match.group(), match.start()) for match in re.finditer(r"\S+", text)]
    words = [word for word, _start in tokens]
    if not words:
        raise UserError("Tell me what you did, e.g. `/log call 3`. See `/log help`.")
    quantity: int | None = None
    offset = 0
    found = None
    if len(words) > 1 and _QUANTITY_LIKE.match(words[0]):  # `/log 3 calls`
        found = _find_activity(words[1:], catalog)
        if found is not None:
            quantity, offset = parse_quantity(words[0]), 1
    if found is None:
        found = _find_activity(words, catalog)
    if found is None:
        word, start = tokens[offset]
        suggestion = closest_activity(word, catalog)
        fix = (
            f"{text[:start]}{suggestion}{text[start + len(word) :]}".strip() if suggestion else None
        )
        raise UnknownActivity(unknown_activity_message(word, catalog), fix)
    rest = offset + found.used
    if quantity is None and rest < len(words) and _QUANTITY_LIKE.match(words[rest]):
        quantity = parse_quantity(words[rest])
        rest += 1
    note = check_note(text[tokens[rest][1] :] if rest < len(tokens) else "")
    understood = None if found.exact else " ".join(words[offset : offset + found.used])
    return LogRequest(found.key, quantity or 1, note, understood)


def log_form_problems(activity_key: str, quantity: str, note: str) -> dict[str, str]:
    """Every problem of the log form at once, by field (`activity`, `quantity`, `note`)."""
    problems: dict[str, str] = {}
    for field, check in (
        ("activity", lambda: None if activity_key else "Pick an activity."),
        ("quantity", lambda: parse_quantity(quantity or "1") and None),
        ("note", lambda: check_note(note) and None),
    ):
        try:
            message = check()
        except UserError as error:
            message = error.message
        if message:
            problems[field] = message
    return problems


def parse_log_fields(activity_key: str, quantity: str, note: str) -> LogRequest:
    """Check the log form's fields; UserError names the field that is wrong."""
    if not activity_key:
        raise UserError("Pick an activity.", field="activity")
    return LogRequest(activity_key, parse_quantity(quantity or "1"), check_note(note))


def is_help(text: str) -> bool:
    """True when the command text asks for help."""
    return text.strip().casefold() in HELP_WORDS


def parse_mention(text: str) -> str | None:
    """The user id in `<@U123>` or `<@U123|name>`, None for empty text; UserError otherwise."""
    text = text.strip()
    if not text:
        return None
    match = _MENTION.match(text)
    if match is None:
        raise UserError(
            f"I couldn't find a member in `{text}`. Mention them with @, e.g. `/points @dana`."
        )
    return match.group(1)
