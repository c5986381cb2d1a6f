"""Ranking with shared ranks for ties (standard competition ranking: 1, 1, 3).

Only people with points are ranked: someone with none this period has no place on a board
(their rank is None), so a crowd of zero-point teammates never shares a rank or "climbs".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Standing:
    """One member's place on a board."""

    user_id: str
    rank: int | None  # None: no points this period, so no place
    activity_points: int
    result_points: int

    @property
    def points(self) -> int:
        """Activity and result points together."""
        return self.activity_points + self.result_points


def rank(scores: Iterable[tuple[str, int, int]]) -> list[Standing]:
    """Rank (user_id, activity_points, result_points) rows by total, highest first.

    Equal totals share a rank and the next rank skips accordingly; ties are listed by user id
    so the order is stable from one call to the next. Rows without points come last, unranked.
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
        place = current_rank if total > 0 else None
        standings.append(Standing(user_id, place, activity, result))
    return standings


def passed(before: dict[str, int | None], now: list[Standing], user_id: str) -> int:
    """How many people were ahead of `user_id` on the `before` board and are behind them now.

    Someone unranked is behind everyone ranked; two unranked people are level.
    """

    def place(rank: int | None) -> float:
        return float("inf") if rank is None else rank

    now_rank = {s.user_id: s.rank for s in now}
    mine_before, mine_now = place(before.get(user_id)), place(now_rank.get(user_id))
    return sum(
        1
        for other, other_now in now_rank.items()
        if other != user_id
        and place(before.get(other)) < mine_before
        and place(other_now) > mine_now
    )


def biggest_climber(
    before: list[Standing], now: list[Standing]
) -> tuple[str, int | None, int] | None:
    """(user, rank before or None, rank now) of whoever passed the most people, or None.

    A climber has points this period and has passed at least one person; among equals, the
    higher rank now wins, then the user id.
    """
    earlier = {s.user_id: s.rank for s in before}
    climbs = [
        (passed(earlier, now, s.user_id), -s.rank, s.user_id, s.rank)
        for s in now
        if s.rank is not None and s.points > 0
    ]
    best = max((c for c in climbs if c[0] > 0), key=lambda c: c[:2], default=None)
    if best is None:
        return None
    _count, _order, user, rank_now = best
    return user, earlier.get(user), rank_now
