"""Numbers as people type and read them: finite, bounded, and never in exponent notation."""

from __future__ import annotations

import math
import re

from bot.domain.errors import UserError

MAX_MAGNITUDE = 1_000_000_000_000.0  # the largest key-result value, start or target (10^12)
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_WHOLE = re.compile(r"^[0-9]+$")
_SEPARATORS = str.maketrans("", "", ",_ ")


def number(value: float) -> str:
    """`9,000,000`, `2.5`, `0.33`: never `9e+06`; `–` for a value that is not a finite number."""
    if not math.isfinite(value):
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def percent(fraction: float) -> str:
    """`30%` for 0.3, `1,200%` for 12; `–%` for a value that is not a finite number."""
    if not math.isfinite(fraction) or abs(fraction) > MAX_MAGNITUDE:
        return "–%"
    return f"{round(fraction * 100):,}%"


def finite_or(value: float | None, default: float | None) -> float | None:
    """`value` when it is a finite number, else `default` (stored values are never trusted)."""
    return value if value is not None and math.isfinite(value) else default


def parse_decimal(raw: str, what: str = "The value", field: str | None = None) -> float:
    """A plain decimal such as `45`, `-2.5`, `1,200` or `12%`, within ±10^12.

    `inf`, `nan`, exponents (`1e400`) and digits that are not 0-9 (`5²`) are refused."""
    text = raw.strip().translate(_SEPARATORS).removesuffix("%")
    if not _DECIMAL.match(text):
        raise UserError(f"{what} must be a number such as 45 or 2.5, not `{raw.strip()}`.", field)
    value = float(text)
    if abs(value) > MAX_MAGNITUDE:
        raise UserError(
            f"{what} must be between -{number(MAX_MAGNITUDE)} and {number(MAX_MAGNITUDE)}, "
            f"not `{raw.strip()}`.",
            field,
        )
    return value


def parse_whole(raw: str, low: int, high: int, what: str, *, field: str | None = None) -> int:
    """A whole number from `low` to `high` written with the digits 0-9 (and `,` separators)."""
    text = raw.strip().translate(_SEPARATORS)
    if not _WHOLE.match(text) or not low <= int(text) <= high:
        raise UserError(
            f"{what} must be a whole number from {number(low)} to {number(high)}, "
            f"not `{raw.strip()}`.",
            field,
        )
    return int(text)


def finite_problem(value: float) -> str | None:
    """Why a number read from a file is unusable, or None."""
    if not math.isfinite(value):
        return "must be a finite number"
    if abs(value) > MAX_MAGNITUDE:
        return f"must be between -{number(MAX_MAGNITUDE)} and {number(MAX_MAGNITUDE)}"
    return None
