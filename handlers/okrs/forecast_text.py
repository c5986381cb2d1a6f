"""A forecast of what is needed, as the sentence people read under a key result."""

from __future__ import annotations

from typing import assert_never

from bot.domain.forecast import Need, Outlook
from bot.domain.numbers import number


def need_sentence(need: Need) -> str:
    """Such as "At your current rate, 70 more demos — about 12 a week — reach 20 deals."."""
    facts = need.facts
    target = f"{number(facts.target)} {facts.unit}"
    match need.outlook:
        case Outlook.REACHED:
            return f"Target of {target} reached: no more {facts.activity} needed for it."
        case Outlook.ENDED_SHORT:
            return f"The cycle has ended {number(facts.remaining)} {facts.unit} short of {target}."
        case Outlook.NO_ACTIVITY:
            return (
                f"No {facts.activity} logged this cycle yet, so there is no rate to project from."
            )
        case Outlook.NO_CONVERSION:
            return (
                f"{facts.units_done} {facts.activity} logged but no {facts.unit} yet, "
                "so there is no conversion rate to project from."
            )
        case Outlook.FINAL_WEEK:
            return (
                f"At your current rate, {need.more} more {facts.activity} — all in the final "
                f"week — reach {target}."
            )
        case Outlook.ON_A_WEEKLY_PACE:
            return (
                f"At your current rate, {need.more} more {facts.activity} — about "
                f"{need.per_week} a week — reach {target}."
            )
        case _:
            assert_never(need.outlook)
