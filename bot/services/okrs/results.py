"""Moving key results: check-ins and counted activities, and the result points they earn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.kr_types import Measure, kind_of, score
from bot.domain.periods import PeriodKind, local_date, local_midnight, period_containing
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import RESULT, ActivityLog, Cycle, KeyResult

ACHIEVED = "kr_achieved"
ACHIEVED_UNDONE = "kr_achieved_undo"  # an Undo took a key result back below its target
CHECKIN = "checkin"


def measure_of(kr: KeyResult) -> Measure:
    """The numbers progress is computed from."""
    done = sum(1 for flag in kr.milestones_done or [] if flag)
    return Measure(
        kr_type=kr.kr_type,
        start=kr.start_value or 0.0,
        target=kr.target_value if kr.target_value is not None else 1.0,
        current=kr.current_value,
        milestones_done=done,
        milestones_total=len(kr.milestones or []),
    )


def quarter_of(day: date) -> tuple[str, date, date]:
    """The calendar quarter containing `day`: its name (2026-Q4), first and last day."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    following = date(day.year + (first_month + 2) // 12, (first_month + 2) % 12 + 1, 1)
    return f"{day.year}-Q{(first_month - 1) // 3 + 1}", start, following - timedelta(days=1)


def current_cycle(okrs: OkrRepository, tz: ZoneInfo, now: datetime) -> Cycle:
    """The open cycle for today; a calendar-quarter cycle is created when there is none."""
    today = local_date(now, tz)
    cycle = okrs.open_cycle_on(today)
    if cycle is not None:
        return cycle
    name, start, end = quarter_of(today)
    existing = okrs.cycle_by_name(name)
    if existing is not None:  # this quarter's cycle was closed early: start the next one
        name, start, end = quarter_of(end + timedelta(days=1))
        existing = okrs.cycle_by_name(name)
    return existing or okrs.add_cycle(name, start, end)


def cycle_bounds(cycle: Cycle, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a cycle in UTC: its first day's midnight to the midnight after its last."""
    return local_midnight(cycle.starts_on, tz), local_midnight(
        cycle.ends_on + timedelta(days=1), tz
    )


def award_if_achieved(
    repo: WorkspaceRepository, kr: KeyResult, now: datetime, *, closing: bool = False
) -> bool:
    """Award the KR's points to its owner the first time it reaches 100%; True if awarded now.

    Nothing is paid while its owner has not accepted it or, for a personal objective, while
    no manager has approved its points.

    A type that pays at close (stay_above / stay_below) is only achieved if it holds to the
    end, so its points come when the cycle closes (`closing`) with it still held.
    """
    if not (kr.owner_accepted and kr.points_approved):  # paid once accepted and approved
        return False
    if kind_of(kr.kr_type).pays_at_close and not closing:
        return False
    if score(measure_of(kr)) < 1.0:
        return False
    paid, taken_back = _rounds(repo, kr)
    if len(paid) > len(taken_back):
        return False  # paid, and not taken back since
    # A key result belongs to one cycle: once per KR is once per cycle, unless an Undo took
    # it back below its target; each round after that has a reference of its own.
    reference = str(kr.id) if not paid else f"{kr.id}:{len(paid)}"
    awarded = repo.add_ledger_entry(
        user_id=kr.owner_id,
        points=kr.points,
        category=RESULT,
        reason=ACHIEVED,
        reference=reference,
        occurred_at=now,
        recorded_at=now,
    )
    if awarded:
        data = {"ref": kr.ref, "title": kr.title, "owner": kr.owner_id, "points": kr.points}
        repo.emit("key_result.achieved", data, now)
    return awarded


def award_checkin(
    repo: WorkspaceRepository, kr: KeyResult, user_id: str, points: int, *, now: datetime
) -> bool:
    """Reward the first check-in on a KR in a week (the workspace's week); True if awarded now.
    Key results whose points are not accepted and approved yet earn no check-in points either.
    The week is read with the workspace's lock, so an import moving the workspace to another
    timezone meanwhile cannot make one week of its new calendar pay twice."""
    if points <= 0 or not (kr.owner_accepted and kr.points_approved):
        return False
    tz = repo.calendar()
    week = period_containing(PeriodKind.WEEK, now, tz)
    year, number, _ = local_date(week.start, tz).isocalendar()
    return repo.add_ledger_entry(
        user_id=user_id,
        points=points,
        category=RESULT,
        reason=CHECKIN,
        reference=f"{kr.id}:{year}-W{number:02d}",
        occurred_at=now,
        recorded_at=now,
    )


def apply_counts(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    entry: ActivityLog,
    now: datetime,
    *,
    counted: Sequence[int],
) -> list[KeyResult]:
    """Add a logged activity's units to every key result in `counted` (those that count its
    activity type); return the key results it moved."""
    moved = []
    for kr_id in counted:
        kr = okrs.key_result(kr_id, lock=True)
        if kr is None or kr.archived or kr.final_score is not None:
            continue
        counted_units = entry.quantity - (entry.units_over_cap or 0)  # none past the cap
        if counted_units <= 0:
            continue
        base = kr.current_value if kr.current_value is not None else kr.start_value or 0.0
        kr.current_value = base + counted_units
        okrs.add_contribution(entry.id, kr.id, counted_units, now)
        award_if_achieved(repo, kr, now)
        moved.append(kr)
    return moved


def _rounds(repo: WorkspaceRepository, kr: KeyResult) -> tuple[list[tuple[str, int]], list[str]]:
    """The key result's achievement payments (reference, points) and the references of those
    an Undo took back, oldest first."""
    entries = repo.entries_about((ACHIEVED, ACHIEVED_UNDONE), str(kr.id))
    paid = [(ref, points) for reason, ref, points in entries if reason == ACHIEVED]
    taken_back = [ref for reason, ref, _points in entries if reason == ACHIEVED_UNDONE]
    return paid, taken_back


def reverse_counts(
    repo: WorkspaceRepository, okrs: OkrRepository, entry: ActivityLog, now: datetime
) -> list[tuple[str, int]]:
    """Take back what an undone activity added to key results (exactly what it added), and
    the result points of any it takes back below its target before its cycle closes, in the
    same transaction; return (key result ref, points taken back) for those."""
    taken: list[tuple[str, int]] = []
    for contribution in okrs.open_contributions(entry.id):
        kr = okrs.key_result(contribution.key_result_id, lock=True)
        if kr is not None and kr.final_score is None:
            kr.current_value = (kr.current_value or 0.0) - contribution.amount
            points = _take_back_if_below(repo, kr, now)
            if points:
                taken.append((kr.ref, points))
        contribution.reversed_at = now
    return taken


def _take_back_if_below(repo: WorkspaceRepository, kr: KeyResult, now: datetime) -> int:
    """Reverse the payment of a key result no longer achieved; the points taken back."""
    if score(measure_of(kr)) >= 1.0:
        return 0
    paid, taken_back = _rounds(repo, kr)
    if len(paid) <= len(taken_back):
        return 0  # nothing paid now
    reference, points = paid[-1]
    repo.add_ledger_entry(
        user_id=kr.owner_id,
        points=-points,
        category=RESULT,
        reason=ACHIEVED_UNDONE,
        reference=reference,
        occurred_at=now,
        recorded_at=now,
    )
    return points
