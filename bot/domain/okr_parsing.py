"""Parsing `/okr` and `/checkin` text, check-in values, and new-objective drafts."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.domain import commands
from bot.domain.errors import UserError
from bot.domain.kr_types import kind_of, names
from bot.domain.numbers import parse_decimal, parse_whole
from bot.domain.okrs import (
    MAX_KEY_RESULTS,
    MAX_MILESTONE_NAME,
    MAX_MILESTONES,
    MAX_TITLE,
    MAX_UNIT,
    Level,
)
from bot.domain.parsing import CONTROL_MESSAGE, check_note, has_control, parse_mention
from bot.domain.playbook import DEFAULT_MAX_KR_POINTS

KR_REF = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
KR_FIELD = re.compile(r"^kr([1-9][0-9]?)_([a-z]+)$")


def kr_field(number: int, part: str) -> str:
    """The name of a field of the `number`th key result of a new objective: `kr2_target`."""
    return f"kr{number}_{part}"


def kr_field_parts(name: str) -> tuple[int, str] | None:
    """(number, part) of a key-result field name, or None for any other name."""
    match = KR_FIELD.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


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


@dataclass(frozen=True)
class OkrQuery:
    """What `/okr <text>` asks for, with its arguments."""

    view: OkrView
    member: str | None = None
    team: str | None = None
    ref: str | None = None
    score: float | None = None
    reason: str = ""
    until: date | None = None


def parse_okr(text: str) -> OkrQuery:
    """Parse `/okr` text: a subcommand (SUBCOMMANDS), a mention, or a code."""
    words = text.split()
    if not words:
        return OkrQuery(OkrView.MINE)
    subcommand = SUBCOMMANDS.get(words[0].casefold())
    if subcommand is not None:
        return subcommand(words[1:])
    if words[0].startswith("<@"):
        return OkrQuery(OkrView.MEMBER, member=parse_mention(words[0]))
    if len(words) == 1 and KR_REF.match(words[0]):
        return OkrQuery(OkrView.KR, ref=words[0].upper())
    raise UserError(f"I don't understand `{text.strip()}`. {OKR_USAGE}")


def _parse_archive(words: list[str]) -> OkrQuery:
    if len(words) != 1 or not KR_REF.match(words[0]):
        raise UserError("Say which objective to archive, e.g. `/okr archive O3`.")
    return OkrQuery(OkrView.ARCHIVE, ref=words[0].upper())


def _parse_team(words: list[str]) -> OkrQuery:
    if not words:
        raise UserError("Which team? e.g. `/okr team Sales East`.")
    return OkrQuery(OkrView.TEAM, team=" ".join(words))


def _parse_away(words: list[str]) -> OkrQuery:
    usage = "e.g. `/okr away until 2026-12-02` (and `/okr back` when you return)"
    if words and words[0].casefold() == "until":
        words = words[1:]
    if len(words) != 1:
        raise UserError(f"Say until when you are away, {usage}.")
    try:
        until = date.fromisoformat(words[0])
    except ValueError as error:
        raise UserError(f"`{words[0]}` is not a date like 2026-12-02; {usage}.") from error
    return OkrQuery(OkrView.AWAY, until=until)


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
    return OkrQuery(OkrView.SCORE, ref=words[0].upper(), score=value, reason=" ".join(words[2:]))


def _plain(view: OkrView) -> Callable[[list[str]], OkrQuery]:
    """A subcommand that takes no arguments (any words after it are ignored)."""
    return lambda _words: OkrQuery(view)


# The first word of `/okr <text>` that names a subcommand, and how the rest is read.
SUBCOMMANDS: dict[str, Callable[[list[str]], OkrQuery]] = {
    "help": _plain(OkrView.HELP),
    "?": _plain(OkrView.HELP),
    "new": _plain(OkrView.NEW),
    "company": _plain(OkrView.COMPANY),
    "back": _plain(OkrView.BACK),
    "team": _parse_team,
    "archive": _parse_archive,
    "away": _parse_away,
    "score": _parse_score,
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


# -- new objective drafts -------------------------------------------------------------------
@dataclass(frozen=True)
class KRDraft:
    """One key-result row of the new-objective form, as typed."""

    title: str
    kr_type: str = ""
    start: str = ""
    target: str = ""
    unit: str = ""
    points: str = ""
    owner: str = ""
    milestones: str = ""


@dataclass(frozen=True)
class ObjectiveDraft:
    """The new-objective form, as typed."""

    title: str
    level: str
    kind: str = "committed"
    team: str = ""
    parent: str = ""
    key_results: list[KRDraft] = field(default_factory=list)


@dataclass(frozen=True)
class KRPlan:
    title: str
    kr_type: str  # a name in bot.domain.kr_types
    start: float | None
    target: float | None
    unit: str
    points: int
    owner: str | None
    milestones: tuple[str, ...]


def _optional_number(raw: str, name: str, errors: dict[str, str]) -> float | None:
    if not raw.strip():
        return None
    try:
        return parse_decimal(raw, "This")
    except UserError as error:
        errors[name] = error.message
        return None


def plan_key_results(
    draft: ObjectiveDraft, max_points: int = DEFAULT_MAX_KR_POINTS
) -> tuple[list[KRPlan], dict[str, str]]:
    """Check the draft; return the key results to create and errors by field (`title`, `kr2_target`…)."""
    errors: dict[str, str] = {}
    if not draft.title.strip():
        errors["title"] = "Give the objective a title."
    elif has_control(draft.title):
        errors["title"] = f"The title {CONTROL_MESSAGE}."
    elif len(draft.title.strip()) > MAX_TITLE:
        errors["title"] = (
            f"Titles can be at most {MAX_TITLE} characters; this one has {len(draft.title.strip())}."
        )
    if draft.level not in {level.value for level in Level}:
        errors["level"] = "Pick personal, team or company."
    rows = [kr for kr in draft.key_results if kr.title.strip()]
    if len(rows) > MAX_KEY_RESULTS:
        errors["title"] = (
            f"An objective can have at most {MAX_KEY_RESULTS} key results; this one has {len(rows)}."
        )
    if not rows:
        errors[kr_field(1, "title")] = "Add at least one key result."
    plans = []
    for number, kr in enumerate(draft.key_results, start=1):
        if not kr.title.strip():
            continue
        if len(kr.title.strip()) > MAX_TITLE:
            errors[kr_field(number, "title")] = (
                f"Titles can be at most {MAX_TITLE} characters; this one has {len(kr.title.strip())}."
            )
        if kr.kr_type not in names():
            errors[kr_field(number, "type")] = "Pick how this key result is measured."
            continue
        kind = kind_of(kr.kr_type)
        start = _optional_number(kr.start, kr_field(number, "start"), errors)
        target = _optional_number(kr.target, kr_field(number, "target"), errors)
        if start is None and kr_field(number, "start") not in errors:
            start = kind.default_start
        points = 0
        if kr.points.strip():
            try:
                points = parse_whole(kr.points, 0, max_points, "Points")
            except UserError as error:
                errors[kr_field(number, "points")] = error.message
        milestones = tuple(m.strip() for m in kr.milestones.split(",") if m.strip())
        if kind.milestones and not milestones:
            errors[kr_field(number, "milestones")] = "List the milestones, separated by commas."
        elif kind.milestones and len(milestones) > MAX_MILESTONES:
            errors[kr_field(number, "milestones")] = (
                f"At most {MAX_MILESTONES} milestones, this has {len(milestones)}: "
                "split the key result in two."
            )
        elif any(len(m) > MAX_MILESTONE_NAME for m in milestones):
            errors[kr_field(number, "milestones")] = (
                f"Each milestone can be at most {MAX_MILESTONE_NAME} characters."
            )
        for part, value in (("title", kr.title), ("unit", kr.unit), ("milestones", kr.milestones)):
            if has_control(value):
                errors[kr_field(number, part)] = f"This {CONTROL_MESSAGE}."
        if len(kr.unit.strip()) > MAX_UNIT:
            errors[kr_field(number, "unit")] = (
                f"Units can be at most {MAX_UNIT} characters; this one has {len(kr.unit.strip())}."
            )
        problem = kind.span_problem(start, target)
        if (
            problem is not None
            and kr_field(number, "target") not in errors
            and kr_field(number, "start") not in errors
        ):
            errors[kr_field(number, "target")] = problem[0].upper() + problem[1:] + "."
        plans.append(
            KRPlan(
                kr.title.strip(),
                kind.name,
                start,
                target,
                kr.unit.strip(),
                points,
                kr.owner or None,
                milestones,
            )
        )
    return plans, errors
