"""Key-result types: each declared once, with everything that differs between them.

A type says how its progress is computed, which start and target make sense, how a check-in
value is read, when its points are paid, how its value reads, and how the forms ask for it.
Everything else asks `kind_of(name)`; `register` adds a type (the built-ins are below).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass


class KRType(enum.StrEnum):
    """The built-in types, by the names stored and used in playbooks."""

    INCREASE_TO = "increase_to"
    DECREASE_TO = "decrease_to"
    STAY_ABOVE = "stay_above"
    STAY_BELOW = "stay_below"
    BOOLEAN = "boolean"
    MILESTONES = "milestones"


@dataclass(frozen=True, kw_only=True)
class Measure:
    """What progress needs to know about a key result."""

    kr_type: str
    start: float
    target: float
    current: float | None
    milestones_done: int = 0
    milestones_total: int = 0


Value = tuple[float, list[bool] | None]  # a check-in's value, and milestone ticks if any


@dataclass(frozen=True, kw_only=True)
class KRKind:
    """One type of key result."""

    name: str
    label: str  # in the new-objective form's type menu
    progress: Callable[[Measure], float]  # 1.0 is achieved; numeric types may exceed it
    span_problem: Callable[[float | None, float | None], str | None]
    read_value: Callable[[str, int], Value]  # (typed value, milestone count)
    value_text: Callable[[float | None, float | None, float | None, str], str]
    hint: str = "a number"  # what the check-in form asks for ({milestones}: their count)
    numeric: bool = False  # a number moving from start to target (charts, pace over time)
    default_start: float | None = None  # the start when none is given
    milestones: bool = False  # measured by a checklist
    pays_at_close: bool = False  # achieved only if it still holds when the cycle closes


REGISTRY: dict[str, KRKind] = {}


def register(kind: KRKind) -> KRKind:
    """Make a type known by its name; a name is declared once."""
    if kind.name in REGISTRY:
        raise ValueError(f"key-result type {kind.name} is declared twice")
    REGISTRY[kind.name] = kind
    return kind


def kind_of(name: str) -> KRKind:
    """The type stored as `name`."""
    return REGISTRY[name]


def names() -> list[str]:
    """Every type's name, in declaration order."""
    return list(REGISTRY)


def raw_progress(measure: Measure) -> float:
    """Progress as shown, unclamped for numeric types (1.2 means 120%); always finite."""
    values = (measure.start, measure.target, measure.current or 0.0)
    if not all(math.isfinite(v) for v in values):
        return 0.0
    progress = kind_of(measure.kr_type).progress(measure)
    return progress if math.isfinite(progress) else 0.0


def score(measure: Measure) -> float:
    """Progress clamped to [0, 1]: over-achievement is shown but scores 1.0."""
    return min(1.0, max(0.0, raw_progress(measure)))


def check_span(kr_type: str, start: float | None, target: float | None) -> str | None:
    """A message when a key result's start and target make no sense for its type, else None."""
    return kind_of(kr_type).span_problem(start, target)


# The built-in types register themselves when their module is imported; it needs the names
# above, so it is imported last.
from bot.domain import kr_builtin_types  # noqa: E402, F401
