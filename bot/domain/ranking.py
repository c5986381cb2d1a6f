"""Ranking with shared ranks for ties (standard competition ranking: 1, 1, 3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Standing:
    """One member's place on a board."""

    user_id: str
    rank: int
    activity_points: int
    result_points: int

    @property
    def points(self) -> int:
        """Activity and result points together."""
        return self.activity_points + self.result_points


def rank(scores: Iterable[tuple[str, int, int]]) -> list[Standing]:
    """Rank (user_id, activity_points, result_points) rows by total, highest first.

    Equal totals share a rank and the next rank skips accordingly; ties are listed by user id
    so the order is stable from one call to the next.
    """
    ordered = sorted(scores, key=lambda row: (-(row[1] + row[2]), row[0]))
    standings: list[Standing] = []
    previous_total: int | None = None
    current_rank = 0
    for position, (user_id, activity, result) in enumerate(ordered, start=1):
        total = activity + result
        if total != previous_total:
            current_rank = position
            previous_total = total
        standings.append(Standing(user_id, current_rank, activity, result))
    return standings
