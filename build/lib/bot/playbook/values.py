"""Leaf values of a playbook: each check turns a Scalar into a value or names the problem."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from bot.domain.numbers import finite_problem
from bot.domain.periods import zone
from bot.domain.playbook import PointLimits
from bot.playbook.tree import Scalar, shown

WORKSPACE_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s<>]{1,64}@[^@\s<>]+\.[^@\s<>]{2,}$")
PERSON = re.compile(rf"{USER_ID.pattern}|{EMAIL.pattern}")
USERGROUP = re.compile(r"^S[A-Z0-9]{2,}$|^@[a-z0-9][a-z0-9._-]{0,79}$")
ACTIVITY_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
REF = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
SOURCE = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

USER_HINT = " (expected a Slack user id such as U0123ABCD, or the person's email)"
USERGROUP_HINT = (
    " (expected a Slack user group id such as S0123ABCD, or its handle such as @sales-east)"
)
REF_HINT = " (letters and digits starting with a capital, such as K12 or O3)"
KEY_HINT = " (lowercase letters, digits, - or _, starting with a letter)"
CHANNEL_HINT = " (expected a Slack channel id such as C0123ABCD)"
WORKSPACE_HINT = " (expected the Slack team id, such as T0123ABCD)"
CLOCK_HINT = ' (a 24-hour time in quotes, such as "16:00")'


def problem(message: str, field: str = "") -> PydanticCustomError:
    """A problem written for the playbook's author; `field` names a value inside the one checked."""
    return PydanticCustomError("playbook", "{message}", {"message": message, "field": field})


def _is(value: object, *tags: str) -> bool:
    return isinstance(value, Scalar) and value.tag in tags


def text(
    pattern: re.Pattern[str] | None = None, hint: str = "", max_length: int | None = None
) -> Callable[[object], str]:
    """Text, stripped, non-empty, and matching `pattern` when one is given."""

    def check(value: object) -> str:
        if not isinstance(value, Scalar) or value.tag == "null":
            raise problem("expected a text value")
        found = value.raw.strip()
        if not found:
            raise problem("must not be empty")
        if pattern is not None and not pattern.match(found):
            raise problem(f"`{found[:100]}` is not valid{hint}")
        if max_length is not None and len(found) > max_length:
            raise problem(f"must be at most {max_length} characters, has {len(found)}")
        return found

    return check


def choice(choices: Callable[[], list[str]]) -> Callable[[object], str]:
    """One of `choices()`, asked when the value is checked (key-result types can be added)."""

    def check(value: object) -> str:
        found = text()(value)
        allowed = choices()
        if found not in allowed:
            raise problem(f"`{found}` is not one of {', '.join(allowed)}")
        return found

    return check


def whole_number(low: int, high: int | Callable[[PointLimits], int]) -> Any:
    """A whole number within bounds; a callable `high` reads the playbook's `limits`."""

    def check(value: object, info: ValidationInfo) -> int:
        limits = (info.context or {}).get("limits", PointLimits())
        top = high(limits) if callable(high) else high
        found = value.value if isinstance(value, Scalar) and value.tag == "int" else None
        if isinstance(found, int) and low <= found <= top:
            return found
        raise problem(f"must be a whole number from {low} to {top}, got `{shown(value)}`")

    return BeforeValidator(check)


def number(value: object) -> float:
    """A finite number within the bounds every stored number keeps."""
    if _is(value, "int", "float") and isinstance(value, Scalar):
        found = float(value.value)  # type: ignore[arg-type]
        why = finite_problem(found)
        if why is None:
            return found
        raise problem(f"{why}, got `{value.raw}`")
    raise problem(f"must be a number, got `{shown(value)}`")


def day(value: object) -> date:
    """A calendar date such as 2026-10-01."""
    if isinstance(value, Scalar) and value.tag == "timestamp":
        found = value.value
        if isinstance(found, date) and not isinstance(found, datetime):
            return found
    raise problem(f"must be a date like 2026-10-01, got `{shown(value)}`")


def flag(value: object) -> bool:
    """true or false."""
    if isinstance(value, Scalar) and value.tag == "bool":
        return bool(value.value)
    raise problem("must be true or false")


def clock_time(value: object) -> time:
    """A 24-hour local time such as 16:00."""
    hours, minutes = text(CLOCK_TIME, CLOCK_HINT)(value).split(":")
    return time(int(hours), int(minutes))


def timezone(value: object) -> str:
    """An IANA timezone name."""
    name = text()(value)
    try:
        zone(name)
    except ValueError as exc:
        raise problem(str(exc)) from exc
    return name


def listed(value: object) -> object:
    """A list; an empty value (`field:` with nothing after it) is an empty list."""
    if isinstance(value, Scalar) and value.tag == "null":
        return []
    return value


def positive(value: float) -> float:
    if value <= 0:
        raise problem("must be above 0")
    return value


def unique(found: list[str]) -> list[str]:
    """Duplicates dropped, the first of each kept in order."""
    return list(dict.fromkeys(found))


Text = Annotated[str, BeforeValidator(text())]
UserId = Annotated[str, BeforeValidator(text(PERSON, USER_HINT, max_length=254))]
UserGroup = Annotated[str, BeforeValidator(text(USERGROUP, USERGROUP_HINT))]
Ref = Annotated[str, BeforeValidator(text(REF, REF_HINT))]
Number = Annotated[float, BeforeValidator(number)]
Day = Annotated[date, BeforeValidator(day)]
Flag = Annotated[bool, BeforeValidator(flag)]
ClockTime = Annotated[time, BeforeValidator(clock_time)]
Timezone = Annotated[str, BeforeValidator(timezone)]
Listed = BeforeValidator(listed)
UserIds = Annotated[list[UserId], Listed, AfterValidator(unique)]
Refs = Annotated[list[Ref], Listed, AfterValidator(unique)]
ActivityPoints = Annotated[int, whole_number(0, lambda limits: limits.activity)]
KeyResultPoints = Annotated[int, whole_number(0, lambda limits: limits.key_result)]
