"""Points for logged activities, including per-day caps."""

from __future__ import annotations

from dataclasses import dataclass

MIN_QUANTITY = 1
MAX_QUANTITY = 1000
MAX_NOTE_LENGTH = 500


@dataclass(frozen=True)
class ActivityScore:
    """What one log entry earns."""

    quantity: int
    scoring_units: int
    points_per_unit: int

    @property
    def points(self) -> int:
        """Points earned by the units inside the daily cap."""
        return self.scoring_units * self.points_per_unit

    @property
    def units_over_cap(self) -> int:
        """Units recorded but earning nothing because the daily cap was reached."""
        return self.quantity - self.scoring_units


def score_activity(
    quantity: int, points_per_unit: int, daily_cap: int | None, units_already_today: int
) -> ActivityScore:
    """Score `quantity` units given the cap and the units the member already logged today."""
    if daily_cap is None:
        scoring = quantity
    else:
        scoring = max(0, min(quantity, daily_cap - units_already_today))
    return ActivityScore(quantity, scoring, points_per_unit)
