"""Parsing `/leaderboard` text: a period and a team, or everyone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import UserError
from bot.domain.periods import PeriodKind

ALL_WORDS = frozenset({"all", "everyone", "workspace"})
# What people type for a period, besides its own name; "season" is what /leaderboard calls
# an OKR cycle.
PERIOD_WORDS = {
    "season": "cycle",
    "daily": "today",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
}
SHOWN_PERIODS = "today, week, month, quarter, season"


@dataclass(frozen=True)
class BoardRequest:
    """`/leaderboard [period] [team|all]`: team is None for the caller's own team."""

    period: PeriodKind
    team: str | None
    everyone: bool


def parse_board(text: str, team_names: Sequence[str]) -> BoardRequest:
    """Parse `/leaderboard` text; the period defaults to this week, the team to the caller's."""
    words = text.split()
    period = PeriodKind.WEEK
    if words and words[0].casefold() in PERIOD_WORDS:
        words = [PERIOD_WORDS[words[0].casefold()], *words[1:]]
    if words and words[0].casefold() in {kind.value for kind in PeriodKind}:
        period = PeriodKind(words[0].casefold())
        words = words[1:]
    target = " ".join(words)
    if not target:
        return BoardRequest(period, None, everyone=False)
    if target.casefold() in ALL_WORDS:
        return BoardRequest(period, None, everyone=True)
    names = {name.casefold(): name for name in team_names}
    if target.casefold() in names:
        return BoardRequest(period, names[target.casefold()], everyone=False)
    teams = ", ".join(sorted(team_names)) or "none set up yet"
    raise UserError(
        f"I don't know the period or team `{target}`. Periods: {SHOWN_PERIODS}. "
        f"Teams: {teams}, or `all` for everyone."
    )
