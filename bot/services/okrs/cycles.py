"""Closing a cycle with final scores, and owners' score overrides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import NotAllowed, NotFound, UserError
from bot.domain.okrs import score
from bot.domain.periods import local_date
from bot.services.okrs.checkins import find_key_result
from bot.services.okrs.okr_views import KRView, ViewBuilder
from bot.services.okrs.results import award_if_achieved, current_cycle, cycle_bounds, measure_of
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import Cycle

OVERRIDE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class CycleReport:
    name: str
    scores: list[tuple[str, str, float]]  # (ref, title, final score)
    days_early: int = 0  # days of the cycle left when it was closed


class CloseNeedsConfirmation(UserError):
    """The cycle has not ended yet: closing it now must be asked for explicitly."""


def days_left(cycle: Cycle, tz: ZoneInfo, now: datetime) -> int:
    """Whole calendar days of the cycle still to come at `now` (0 once it has ended)."""
    return max(0, (cycle.ends_on - local_date(now, tz)).days)


def close_cycle(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    name: str | None,
    now: datetime,
    *,
    tz: ZoneInfo,
    early: bool = False,
) -> CycleReport:
    """Give every key result of the cycle its final score, pay stay-type results still held,
    and close it. A cycle that has not started is never closed; one that has not ended only
    with `early`."""
    cycle = okrs.cycle_by_name(name) if name else current_cycle(okrs, tz, now)
    if cycle is None:
        raise NotFound(f"There is no cycle named `{name}`.")
    if cycle.closed_at is not None:
        raise UserError(f"{cycle.name} is already closed.")
    start, _end = cycle_bounds(cycle, tz)
    if now < start:
        raise UserError(
            f"{cycle.name} starts on {cycle.starts_on:%a %d %b %Y}: "
            "a cycle that has not started cannot be closed."
        )
    left = days_left(cycle, tz, now)
    if left and not early:
        raise CloseNeedsConfirmation(
            f"{cycle.name} runs until {cycle.ends_on:%a %d %b %Y}, {left} more day(s). "
            "Closing it now freezes every score early; confirm to close it anyway."
        )
    scores = []
    for kr in okrs.key_results([o.id for o in okrs.objectives(cycle.id)]):
        kr.final_score = score(measure_of(kr))
        award_if_achieved(repo, kr, now, closing=True)
        scores.append((kr.ref, kr.title, kr.final_score))
    cycle.closed_at = now
    finals = [{"ref": ref, "title": title, "score": final} for ref, title, final in scores]
    repo.emit("cycle.closed", {"cycle": cycle.name, "scores": finals}, now)
    return CycleReport(cycle.name, scores, left)


def override_score(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    tz: ZoneInfo,
    now: datetime,
    *,
    user_id: str,
    ref: str,
    value: float,
    reason: str,
) -> KRView:
    """The KR's owner replaces its final score, with a reason, within 7 days of the close."""
    kr = find_key_result(okrs, ref, lock=True)
    objective = okrs.objective(kr.objective_id)
    assert objective is not None
    cycle = next(c for c in okrs.cycles() if c.id == objective.cycle_id)
    if cycle.closed_at is None:
        raise UserError(f"{cycle.name} is still open: scores are set when it closes.")
    if kr.owner_id != user_id:
        raise NotAllowed(f"Only <@{kr.owner_id}>, who owns {kr.ref}, can change its score.")
    if now - cycle.closed_at > OVERRIDE_WINDOW:
        raise NotAllowed(
            f"Scores can be changed for 7 days after the cycle closes; {cycle.name} closed earlier."
        )
    if not reason.strip():
        raise UserError("Give a reason for the new score.")
    kr.override_score = value
    kr.override_reason = reason.strip()
    return ViewBuilder(repo, okrs, cycle, tz, now=now).key_results([kr], {objective.id: objective})[
        0
    ]
