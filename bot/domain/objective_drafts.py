"""New objectives as typed in the form: reading and checking their key results."""

from __future__ import annotations

import re
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


def kr_field(number: int, part: str) -> str:
    """The name of a field of the `number`th key result of a new objective: `kr2_target`."""
    return f"kr{number}_{part}"


def kr_field_parts(name: str) -> tuple[int, str] | None:
    """(number, part) of a key-result field name, or None for any other name."""
    match = KR_FIELD.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


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
