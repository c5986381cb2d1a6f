"""Storing one activity, and a batch of them in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.domain.errors import Busy, Duplicate, NotFound, UserError
from bot.domain.parsing import CatalogItem, LogRequest, unknown_activity_message
from bot.domain.periods import PeriodKind, period_containing, zone
from bot.domain.scoring import ActivityScore, score_activity
from bot.services.context import CatalogEntry, ServiceContext, WorkspaceConfig
from bot.services.ports import UnitOfWork, WorkspaceRepository
from bot.services.results import apply_counts
from storage.models import ACTIVITY, ActivityLog, KeyResult

if TYPE_CHECKING:
    from storage.standings_query import Standing

BATCH_ATTEMPTS = 3  # a batch the database aborted (deadlock, or a racing duplicate) is retried


@dataclass(frozen=True)
class BatchItem:
    """One activity of a batch: whose, what, and the key that makes a retry harmless."""

    user_id: str
    request: LogRequest
    request_key: str | None = None


def store_activity(
    now: datetime,
    uow: UnitOfWork,
    repo: WorkspaceRepository,
    config: WorkspaceConfig,
    user_id: str,
    activity: CatalogEntry,
    request: LogRequest,
    request_key: str | None,
    stand: tuple[date, tuple[date, date]] | None = None,
) -> tuple[ActivityLog, list[KeyResult], Standing | None]:
    """Store one activity with its points, the key results it moves, its ledger line and its
    webhook event, in the caller's transaction (with the member's row already locked); with
    `stand` (today, and this week's first and last day), also the member's standing after it."""
    score = _score(repo, user_id, activity, request.quantity, now, config.timezone)
    entry = repo.add_log(
        user_id=user_id,
        activity_type_id=activity.id,
        quantity=score.quantity,
        points_per_unit=score.points_per_unit,
        points=score.points,
        units_over_cap=score.units_over_cap,
        note=request.note,
        logged_at=now,
        request_key=request_key,
    )
    # Key results are locked before any rollup row, in every path (so no deadlock).
    counted = config.counted(activity.id)
    moved = apply_counts(repo, uow.okrs(repo.workspace_id), entry, now, counted)
    ledger: dict[str, Any] = {"user_id": user_id, "points": score.points, "category": ACTIVITY}
    ledger |= {"reason": "activity", "reference": str(entry.id)}
    ledger |= {"occurred_at": now, "recorded_at": now, "logs": 1}
    figures = None
    if stand is None:
        repo.add_ledger_entry(**ledger)
    else:
        figures = repo.add_ledger_entry_and_stand(*stand, **ledger)
    logged = {"id": entry.id, "member": user_id, "activity": activity.key}
    logged |= {"quantity": score.quantity, "points": score.points, "note": request.note}
    repo.emit("activity.logged", logged | {"logged_at": now.isoformat()}, now, config.webhooks)
    return entry, moved, figures


def store_batch(
    ctx: ServiceContext, workspace_id: str, items: Sequence[BatchItem]
) -> list[ActivityLog]:
    """Store every item in one transaction, all or none, with /log's rules and caps, in the
    order given. An item whose request key was stored before (a CRM's retry, or the same
    key twice in the batch) is not stored again: its first entry is returned instead."""
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return _store_batch(ctx, workspace_id, items)
        except (Duplicate, Busy):
            if attempt == BATCH_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _store_batch(
    ctx: ServiceContext, workspace_id: str, items: Sequence[BatchItem]
) -> list[ActivityLog]:
    with ctx.uow() as uow:
        repo = uow.repo(workspace_id)
        version = None
        for member in sorted({item.user_id for item in items}):  # one order: no deadlock
            version = repo.lock_member(member)
            if version is None:
                raise NotFound(f"`{member}` is not a member of this workspace.", field="member")
        config = ctx.config(repo, version)
        repo = uow.repo(workspace_id, config.timezone)
        catalog = {a.key: a for a in config.catalog}
        now, stored = ctx.clock.now(), []
        for item in items:
            first = repo.log_by_request_key(item.request_key) if item.request_key else None
            if first is not None:
                stored.append(first)
                continue
            activity = catalog.get(item.request.activity_key)
            if activity is None:
                names = [CatalogItem(a.key, a.name) for a in config.catalog]
                message = unknown_activity_message(item.request.activity_key, names)
                raise UserError(message, field="activity")
            entry, _moved, _figures = store_activity(
                now, uow, repo, config, item.user_id, activity, item.request, item.request_key
            )
            stored.append(entry)
        uow.commit()
        return stored


def _score(
    repo: WorkspaceRepository,
    user_id: str,
    activity: CatalogEntry,
    quantity: int,
    now: datetime,
    timezone: str,
) -> ActivityScore:
    """The points `quantity` more units earn today, within the activity's daily cap."""
    already = 0
    if activity.daily_cap is not None:
        today = period_containing(PeriodKind.TODAY, now, zone(timezone))
        already = repo.units_logged(user_id, activity.id, today.start, today.end)
    return score_activity(quantity, activity.points, activity.daily_cap, already)
