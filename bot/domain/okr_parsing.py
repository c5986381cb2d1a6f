"""Parsing `/okr` and `/checkin` text, check-in values, and new-objective drafts."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain import commands
from bot.domain.errors import UserError
from bot.domain.kr_types import kind_of
from bot.domain.numbers import parse_whole
from bot.domain.parsing import check_note, parse_mention

KR_REF = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
OKR_USAGE = commands.usage(commands.OKR)
_QUICK_CHECKIN = commands.CHECKIN.uses[1]
CHECKIN_USAGE = f"e.g. `{_QUICK_CHECKIN.typed}` ({_QUICK_CHECKIN.does})"


class OkrView(enum.StrEnum):
    """What `/okr <text>` asks for."""

    MINE = "mine"
    MEMBER = "member"
    TEAM = "team"
    COMPANY = "company"
    KR = "kr"  # a key result or an objective, by its code
    NEW = "new"
    HELP = "help"
    SCORE = "score"
    ARCHIVE = "archive"
    AWAY = "away"
    BACK = "back"


@dataclass(frozen=True, kw_only=True)
class OkrQuery:
    """What `/okr <text>` asks for, with its arguments."""

    view: OkrView
    member: str | None = None
    team: str | None = None
    ref: str | None = None
    score: float | None = None
    reason: str = ""
    until: date | None = None


def parse_okr(text: str, today: date) -> OkrQuery:
    """Parse `/okr` text: a subcommand (SUBCOMMANDS), a mention, or a code; `today` dates the
    examples it gives."""
    words = text.split()
    if not words:
        return OkrQuery(view=OkrView.MINE)
    subcommand = SUBCOMMANDS.get(words[0].casefold())
    if subcommand is not None:
        return subcommand(words[1:], today)
    if words[0].startswith("<@"):
        return OkrQuery(view=OkrView.MEMBER, member=parse_mention(words[0]))
    if len(words) == 1 and KR_REF.match(words[0]):
        return OkrQuery(view=OkrView.KR, ref=words[0].upper())
    raise UserError(f"I don't understand `{text.strip()}`. {OKR_USAGE}")


def _parse_archive(words: list[str]) -> OkrQuery:
    if len(words) != 1 or not KR_REF.match(words[0]):
        raise UserError("Say which objective to archive, e.g. `/okr archive O3`.")
    return OkrQuery(view=OkrView.ARCHIVE, ref=words[0].upper())


def _parse_team(words: list[str]) -> OkrQuery:
    if not words:
        raise UserError("Which team? e.g. `/okr team Sales East`.")
    return OkrQuery(view=OkrView.TEAM, team=" ".join(words))


AWAY_EXAMPLE_DAYS = 7  # the date an example of `/okr away until` suggests: a week on


def away_example(today: date) -> str:
    """`/okr away until 2026-12-14`: a week from `today`, so an example is never in the past."""
    return f"/okr away until {today + timedelta(days=AWAY_EXAMPLE_DAYS):%Y-%m-%d}"


def _parse_away(words: list[str], today: date) -> OkrQuery:
    usage = f"e.g. `{away_example(today)}` (and `/okr back` when you return)"
    if words and words[0].casefold() == "until":
        words = words[1:]
    if len(words) != 1:
        raise UserError(f"Say until when you are away, {usage}.")
    try:
        until = date.fromisoformat(words[0])
    except ValueError as error:
        raise UserError(f"`{words[0]}` is not a date like YYYY-MM-DD; {usage}.") from error
    return OkrQuery(view=OkrView.AWAY, until=until)


def _parse_score(words: list[str]) -> OkrQuery:
    usage = "e.g. `/okr score K12 0.8 the market shifted`"
    if len(words) < 3:
        raise UserError(f"Give the key result, a score from 0 to 1 and a reason, {usage}.")
    try:
        value = float(words[1])
    except ValueError as error:
        raise UserError(
            f"The score must be a number from 0 to 1, not `{words[1]}`; {usage}."
        ) from error
    if not 0 <= value <= 1:
        raise UserError(f"The score must be from 0 to 1, not `{words[1]}`.")
    return OkrQuery(
        view=OkrView.SCORE, ref=words[0].upper(), score=value, reason=" ".join(words[2:])
    )


def _plain(view: OkrView) -> Callable[[list[str], date], OkrQuery]:
    """A subcommand that takes no arguments (any words after it are ignored)."""
    return lambda _words, _today: OkrQuery(view=view)


def _words(parse: Callable[[list[str]], OkrQuery]) -> Callable[[list[str], date], OkrQuery]:
    """A subcommand read from its words alone."""
    return lambda words, _today: parse(words)


# The first word of `/okr <text>` that names a subcommand, and how the rest is read.
SUBCOMMANDS: dict[str, Callable[[list[str], date], OkrQuery]] = {
    "help": _plain(OkrView.HELP),
    "?": _plain(OkrView.HELP),
    "new": _plain(OkrView.NEW),
    "company": _plain(OkrView.COMPANY),
    "back": _plain(OkrView.BACK),
    "team": _words(_parse_team),
    "archive": _words(_parse_archive),
    "away": _parse_away,
    "score": _words(_parse_score),
}


@dataclass(frozen=True)
class CheckinText:
    """`/checkin K12 45 7 note`: the raw parts; the value is read once the KR's type is known."""

    ref: str
    value: str
    confidence: int
    note: str


def parse_confidence(raw: str) -> int:
    """A whole number from 0 to 10."""
    return parse_whole(raw, 0, 10, "Confidence", field="confidence")


def parse_checkin(text: str) -> CheckinText:
    """Parse the quick form of `/checkin`."""
    words = text.split()
    if not words or not KR_REF.match(words[0]):
        raise UserError(f"Start with the key result's code, {CHECKIN_USAGE}.")
    if len(words) < 3:
        raise UserError(f"Give a value and a confidence after {words[0].upper()}, {CHECKIN_USAGE}.")
    confidence = parse_confidence(words[2])
    note = check_note(text.split(None, 3)[3] if len(words) > 3 else "")
    return CheckinText(words[0].upper(), words[1], confidence, note)


def parse_value(kr_type: str, raw: str, milestones: int) -> tuple[float, list[bool] | None]:
    """Read a check-in value for a KR of type `kr_type` (a number, done or not, milestones…)."""
    return kind_of(kr_type).read_value(raw, milestones)
