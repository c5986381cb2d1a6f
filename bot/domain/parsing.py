"""Parsing of slash-command text into plain requests. Every user mistake raises UserError."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import UserError
from bot.domain.periods import PeriodKind
from bot.domain.scoring import MAX_NOTE_LENGTH, MAX_QUANTITY, MIN_QUANTITY

HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
ALL_WORDS = frozenset({"all", "everyone", "workspace"})
_WHOLE_NUMBER = re.compile(r"^\d+$")
_NUMBER_LIKE = re.compile(r"^[-+.\d]")
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


def check_note(note: str) -> str:
    """The note stripped, or a UserError when it is longer than 500 characters."""
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError(
            f"Notes can be at most {MAX_NOTE_LENGTH} characters; yours has {len(note)}.",
            field="note",
        )
    return note


def _match_activity(words: Sequence[str], catalog: Sequence[CatalogItem]) -> tuple[str, int]:
    """Find the activity named by the longest prefix of `words`; return its key and words used."""
    by_label: dict[str, str] = {}
    for item in catalog:
        by_label.setdefault(item.name.casefold(), item.key)
    for item in catalog:
        by_label[item.key.casefold()] = item.key
    for used in range(len(words), 0, -1):
        key = by_label.get(" ".join(words[:used]).casefold())
        if key is not None:
            return key, used
    raise UserError(unknown_activity_message(words[0], catalog), field="activity")


def unknown_activity_message(word: str, catalog: Sequence[CatalogItem]) -> str:
    """Say the activity is unknown and suggest the closest key."""
    keys = [item.key for item in catalog]
    labels = {item.key.casefold(): item.key for item in catalog}
    labels.update({item.name.casefold(): item.key for item in catalog})
    close = difflib.get_close_matches(word.casefold(), list(labels), n=1, cutoff=0.5)
    hint = f" Did you mean `{labels[close[0]]}`?" if close else ""
    listing = ", ".join(f"`{key}`" for key in keys)
    return f"I don't know the activity `{word}`.{hint} Activities: {listing}. See `/log help`."


def parse_log(text: str, catalog: Sequence[CatalogItem]) -> LogRequest:
    """Parse `/log` text such as `call 12 outbound to retail` or `proposal sent 2`."""
    words = text.split()
    if not words:
        raise UserError("Tell me what you did, e.g. `/log call 3`. See `/log help`.")
    key, used = _match_activity(words, catalog)
    rest = words[used:]
    quantity = 1
    if rest and _NUMBER_LIKE.match(rest[0]):
        quantity = parse_quantity(rest[0])
        rest = rest[1:]
    note_start = text.find(rest[0]) if rest else -1
    note = check_note(text[note_start:] if rest else "")
    return LogRequest(activity_key=key, quantity=quantity, note=note)


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


@dataclass(frozen=True)
class BoardRequest:
    """`/leaderboard [period] [team|all]`: team is None for the caller's own team."""

    period: PeriodKind
    team: str | None
    everyone: bool


def parse_board(text: str, team_names: Sequence[str]) -> BoardRequest:
    """Parse `/leaderboard` text; the period defaults to this week, the team to the caller's."""
    words = text.split()
    period = PeriodKind.WEEK
    if words and words[0].casefold() == "season":
        words = ["cycle", *words[1:]]
    if words and words[0].casefold() in {kind.value for kind in PeriodKind}:
        period = PeriodKind(words[0].casefold())
        words = words[1:]
    target = " ".join(words)
    if not target:
        return BoardRequest(period, None, everyone=False)
    if target.casefold() in ALL_WORDS:
        return BoardRequest(period, None, everyone=True)
    names = {name.casefold(): name for name in team_names}
    if target.casefold() in names:
        return BoardRequest(period, names[target.casefold()], everyone=False)
    periods = ", ".join(kind.value for kind in PeriodKind)
    teams = ", ".join(sorted(team_names)) or "none set up yet"
    raise UserError(
        f"I don't know the period or team `{target}`. Periods: {periods}. "
        f"Teams: {teams}, or `all` for everyone."
    )
