"""Numbers as people read them."""

from __future__ import annotations

import math


def number(value: float) -> str:
    """`9,000,000`, `2.5`, `0.33`: never `9e+06`; `–` for a value that is not a finite number."""
    if not math.isfinite(value):
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
