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
SHOWN_PERIODS = "today, week, month, quarter, season, or `last week`, `last month`, `last quarter`"
LAST_WORDS = frozenset({"last", "previous"})


@dataclass(frozen=True)
class BoardRequest:
    """`/leaderboard [last] [period] [team|all]`: team is None for the caller's own team;
    `previous` asks for the period before the current one (`last week`, `yesterday`)."""

    period: PeriodKind
    team: str | None
    everyone: bool
    previous: bool = False


def parse_board(text: str, team_names: Sequence[str]) -> BoardRequest:
    """Parse `/leaderboard` text; the period defaults to this week, the team to the caller's."""
    words = text.split()
    period = PeriodKind.WEEK
    previous = False
    if words and words[0].casefold() == "yesterday":
        words, previous = ["today", *words[1:]], True
    elif words and words[0].casefold() in LAST_WORDS:
        after = words[1].casefold() if len(words) > 1 else ""
        after = PERIOD_WORDS.get(after, after)
        if after not in {"week", "month", "quarter"}:
            raise UserError(
                "`last` goes with `week`, `month` or `quarter`, as in `/leaderboard last week`."
            )
        words, previous = words[1:], True
    if words and words[0].casefold() in PERIOD_WORDS:
        words = [PERIOD_WORDS[words[0].casefold()], *words[1:]]
    if words and words[0].casefold() in {kind.value for kind in PeriodKind}:
        period = PeriodKind(words[0].casefold())
        words = words[1:]
    target = " ".join(words)
    if not target:
        return BoardRequest(period, None, everyone=False, previous=previous)
    if target.casefold() in ALL_WORDS:
        return BoardRequest(period, None, everyone=True, previous=previous)
    names = {name.casefold(): name for name in team_names}
    if target.casefold() in names:
        return BoardRequest(period, names[target.casefold()], everyone=False, previous=previous)
    teams = ", ".join(sorted(team_names)) or "none set up yet"
    raise UserError(
        f"I don't know the period or team `{target}`. Periods: {SHOWN_PERIODS}. "
        f"Teams: {teams}, or `all` for everyone."
    )
