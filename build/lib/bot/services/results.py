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
CHECKIN = "checkin"


def measure_of(kr: KeyResult) -> Measure:
    """The numbers progress is computed from."""
    done = sum(1 for flag in kr.milestones_done or [] if flag)
    return Measure(
        kr.kr_type,
        kr.start_value or 0.0,
        kr.target_value if kr.target_value is not None else 1.0,
        kr.current_value,
        done,
        len(kr.milestones or []),
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
    awarded = repo.add_ledger_entry(
        user_id=kr.owner_id,
        points=kr.points,
        category=RESULT,
        reason=ACHIEVED,
        reference=str(kr.id),  # a key result belongs to one cycle: once per KR is once per cycle
        occurred_at=now,
        recorded_at=now,
    )
    if awarded:
        data = {"ref": kr.ref, "title": kr.title, "owner": kr.owner_id, "points": kr.points}
        repo.emit("key_result.achieved", data, now)
    return awarded


def award_checkin(
    repo: WorkspaceRepository, kr: KeyResult, user_id: str, points: int, now: datetime
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
    counted: Sequence[int],
) -> list[KeyResult]:
    """Add a logged activity's units to every key result in `counted` (those that count its
    activity type); return the key results it moved."""
    moved = []
    for kr_id in counted:
        kr = okrs.key_result(kr_id, lock=True)
        if kr is None or kr.archived or kr.final_score is not None:
            continue
        base = kr.current_value if kr.current_value is not None else kr.start_value or 0.0
        kr.current_value = base + entry.quantity
        okrs.add_contribution(entry.id, kr.id, entry.quantity, now)
        award_if_achieved(repo, kr, now)
        moved.append(kr)
    return moved


def reverse_counts(okrs: OkrRepository, entry: ActivityLog, now: datetime) -> None:
    """Take back what an undone activity added to key results (exactly what it added)."""
    for contribution in okrs.open_contributions(entry.id):
        kr = okrs.key_result(contribution.key_result_id, lock=True)
        if kr is not None and kr.final_score is None:
            kr.current_value = (kr.current_value or 0.0) - contribution.amount
        contribution.reversed_at = now
