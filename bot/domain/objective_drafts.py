"""New objectives as typed in the form: reading and checking their key results."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

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
from bot.domain.parsing import CONTROL_MESSAGE, has_control
from bot.domain.playbook import DEFAULT_MAX_KR_POINTS

KR_FIELD = re.compile(r"^kr([1-9][0-9]?)_([a-z]+)$")

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,31}$")  # what a user id can be (and a column holds)


def kr_field(number: int, part: str) -> str:
    """The name of a field of the `number`th key result of a new objective: `kr2_target`."""
    return f"kr{number}_{part}"


def kr_field_parts(name: str) -> tuple[int, str] | None:
    """(number, part) of a key-result field name, or None for any other name."""
    match = KR_FIELD.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class ObjectiveDraft:
    """The new-objective form, as typed."""

    title: str
    level: str
    kind: str = "committed"
    team: str = ""
    parent: str = ""
    key_results: list[KRDraft] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
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
    errors = _objective_errors(draft)
    plans = []
    for number, kr in enumerate(draft.key_results, start=1):
        if kr.title.strip():
            plan = _plan(number, kr, max_points, errors)
            if plan is not None:
                plans.append(plan)
    return plans, errors


def _objective_errors(draft: ObjectiveDraft) -> dict[str, str]:
    """Problems with the objective's own fields, and with how many key results it has."""
    errors: dict[str, str] = {}
    title = draft.title.strip()
    if not title:
        errors["title"] = "Give the objective a title."
    elif has_control(draft.title):
        errors["title"] = f"The title {CONTROL_MESSAGE}."
    elif len(title) > MAX_TITLE:
        errors["title"] = (
            f"Titles can be at most {MAX_TITLE} characters; this one has {len(title)}."
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
    return errors


def _plan(number: int, kr: KRDraft, max_points: int, errors: dict[str, str]) -> KRPlan | None:
    """One key result to create, its problems added to `errors` by field; None if its type
    is not known."""

    def at(part: str) -> str:
        return kr_field(number, part)

    title = kr.title.strip()
    if len(title) > MAX_TITLE:
        errors[at("title")] = (
            f"Titles can be at most {MAX_TITLE} characters; this one has {len(title)}."
        )
    if kr.kr_type not in names():
        errors[at("type")] = "Pick how this key result is measured."
        return None
    kind = kind_of(kr.kr_type)
    start = _optional_number(kr.start, at("start"), errors)
    target = _optional_number(kr.target, at("target"), errors)
    if start is None and at("start") not in errors:
        start = kind.default_start
    points = 0
    if kr.points.strip():
        try:
            points = parse_whole(kr.points, 0, max_points, "Points")
        except UserError as error:
            errors[at("points")] = error.message
    milestones = tuple(m.strip() for m in kr.milestones.split(",") if m.strip())
    errors.update(_text_problems(kr, kind.milestones, milestones, at))
    problem = kind.span_problem(start, target)
    if problem is not None and at("target") not in errors and at("start") not in errors:
        errors[at("target")] = problem[0].upper() + problem[1:] + "."
    if kr.owner and not SLACK_USER.match(kr.owner):
        errors[at("owner")] = "Pick the owner from the list of people."
    return KRPlan(
        title=title,
        kr_type=kind.name,
        start=start,
        target=target,
        unit=kr.unit.strip(),
        points=points,
        owner=kr.owner or None,
        milestones=milestones,
    )


def _text_problems(
    kr: KRDraft, needs_milestones: bool, milestones: tuple[str, ...], at: Callable[[str], str]
) -> dict[str, str]:
    """Problems with a key result's milestones, unit and text fields."""
    errors: dict[str, str] = {}
    if needs_milestones and not milestones:
        errors[at("milestones")] = "List the milestones, separated by commas."
    elif needs_milestones and len(milestones) > MAX_MILESTONES:
        errors[at("milestones")] = (
            f"At most {MAX_MILESTONES} milestones, this has {len(milestones)}: "
            "split the key result in two."
        )
    elif any(len(m) > MAX_MILESTONE_NAME for m in milestones):
        errors[at("milestones")] = f"Each milestone can be at most {MAX_MILESTONE_NAME} characters."
    for part, value in (("title", kr.title), ("unit", kr.unit), ("milestones", kr.milestones)):
        if has_control(value):
            errors[at(part)] = f"This {CONTROL_MESSAGE}."
    if len(kr.unit.strip()) > MAX_UNIT:
        errors[at("unit")] = (
            f"Units can be at most {MAX_UNIT} characters; this one has {len(kr.unit.strip())}."
        )
    return errors
