"""The six built-in key-result types, each one `KRKind` registered with bot.domain.kr_types."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.domain.errors import UserError
from bot.domain.kr_types import KRKind, KRType, Measure, Value, register
from bot.domain.numbers import number, parse_decimal

DIGITS = re.compile(r"^[0-9]+$")
YES = {"done", "yes", "y", "true", "1", "complete", "completed"}
NO = {"no", "n", "false", "0", "not", "notdone", "open"}


def _n(value: float | None) -> str:
    return "–" if value is None else number(value)


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""


def _moved(measure: Measure) -> float:
    if measure.current is None:
        return 0.0
    span = measure.target - measure.start
    return (measure.current - measure.start) / span if span else 0.0


def _numeric_span(direction: str) -> Callable[[float | None, float | None], str | None]:
    def problem(start: float | None, target: float | None) -> str | None:
        if start is None or target is None:
            return "start and target are required"
        if start == target:
            return "the target must differ from the start"
        if direction == "up" and target < start:
            return "for increase_to the target must be above the start (use decrease_to)"
        if direction == "down" and target > start:
            return "for decrease_to the target must be below the start (use increase_to)"
        return None

    return problem


def _needs_threshold(_start: float | None, target: float | None) -> str | None:
    return None if target is not None else "a threshold (target) is required"


def _no_span(_start: float | None, _target: float | None) -> str | None:
    return None


def _decimal(raw: str, _milestones: int) -> Value:
    return parse_decimal(raw, "The value", field="value"), None


def _done_or_not(raw: str, _milestones: int) -> Value:
    text = raw.strip().casefold().replace(",", "")
    if text in YES:
        return 1.0, None
    if text in NO:
        return 0.0, None
    raise UserError(
        f"This key result is done or not: answer `done` or `no`, not `{raw.strip()}`.",
        field="value",
    )


def _milestones_done(raw: str, milestones: int) -> Value:
    if raw.startswith("ticks:"):  # the form's checkboxes
        ticked = {int(i) for i in raw.removeprefix("ticks:").split(",") if DIGITS.match(i)}
        return float(len(ticked & set(range(milestones)))), [i in ticked for i in range(milestones)]
    count = raw.strip().casefold().replace(",", "").split("/")[0]
    if not DIGITS.match(count) or int(count) > milestones:
        raise UserError(
            f"Say how many of the {milestones} milestones are done (0–{milestones}), "
            f"not `{raw.strip()}`.",
            field="value",
        )
    done = int(count)
    return float(done), [index < done for index in range(milestones)]


def _from_to(current: float | None, start: float | None, target: float | None, unit: str) -> str:
    return f"{_n(current if current is not None else start)}/{_n(target)}{_unit(unit)}"


def _stay(word: str) -> Callable[[float | None, float | None, float | None, str], str]:
    def text(current: float | None, _start: float | None, target: float | None, unit: str) -> str:
        return f"{_n(current)}{_unit(unit)} (stay {word} {_n(target)}{_unit(unit)})"

    return text


def _held(above: bool) -> Callable[[Measure], float]:
    def progress(measure: Measure) -> float:
        if measure.current is None:
            return 0.0
        held = measure.current >= measure.target if above else measure.current <= measure.target
        return 1.0 if held else 0.0

    return progress


def _done_text(current: float | None, _s: float | None, _t: float | None, _u: str) -> str:
    return "done" if current and current >= 1 else "not done"


def _milestone_count(current: float | None, _s: float | None, target: float | None, _u: str) -> str:
    return f"{_n(current)}/{_n(target)} milestones"


for _kind in (
    KRKind(
        name=KRType.INCREASE_TO.value,
        label="Increase to a target",
        progress=_moved,
        span_problem=_numeric_span("up"),
        read_value=_decimal,
        value_text=_from_to,
        numeric=True,
        default_start=0.0,
    ),
    KRKind(
        name=KRType.DECREASE_TO.value,
        label="Decrease to a target",
        progress=_moved,
        span_problem=_numeric_span("down"),
        read_value=_decimal,
        value_text=_from_to,
        numeric=True,
    ),
    KRKind(
        name=KRType.STAY_ABOVE.value,
        label="Stay above a threshold",
        progress=_held(above=True),
        span_problem=_needs_threshold,
        read_value=_decimal,
        value_text=_stay("above"),
        pays_at_close=True,
    ),
    KRKind(
        name=KRType.STAY_BELOW.value,
        label="Stay below a threshold",
        progress=_held(above=False),
        span_problem=_needs_threshold,
        read_value=_decimal,
        value_text=_stay("below"),
        pays_at_close=True,
    ),
    KRKind(
        name=KRType.BOOLEAN.value,
        label="Done / not done",
        progress=lambda m: 1.0 if m.current is not None and m.current >= 1 else 0.0,
        span_problem=_no_span,
        read_value=_done_or_not,
        value_text=_done_text,
        hint="done or no",
    ),
    KRKind(
        name=KRType.MILESTONES.value,
        label="Milestones checklist",
        progress=lambda m: m.milestones_done / m.milestones_total if m.milestones_total else 0.0,
        span_problem=_no_span,
        read_value=_milestones_done,
        value_text=_milestone_count,
        hint="how many of the {milestones} milestones are done",
        milestones=True,
    ),
):
    register(_kind)
