"""Storing one activity, and a batch of them in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.domain.errors import Busy, Duplicate, NotFound, UserError
from bot.domain.log_effects import LogEffect, log_effects
from bot.domain.parsing import CatalogItem, LogRequest, unknown_activity_message
from bot.domain.periods import PeriodKind, period_containing, zone
from bot.domain.scoring import ActivityScore, score_activity
from bot.services.activities.log_reading import (
    catalog_activity,
    catalog_items,
    log_values,
    quick_log,
    today_and_week,
)
from bot.services.context import CatalogEntry, ServiceContext, WorkspaceConfig, ensure_member
from bot.services.okrs.results import apply_counts
from bot.services.ports import UnitOfWork, WorkspaceRepository
from storage.models import ActivityLog, KeyResult

if TYPE_CHECKING:
    from storage.activities.standings_query import Standing

# What storing a /log gives: its setup, its request, and store_activity's result.
Stored = tuple[WorkspaceConfig, LogRequest, tuple[ActivityLog, list[KeyResult], "Standing | None"]]
WATCHED = "activity.logged"  # the webhook event a log emits
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
    *,
    user_id: str,
    activity: CatalogEntry,
    request: LogRequest,
    request_key: str | None,
    stand: tuple[date, tuple[date, date]] | None = None,
) -> tuple[ActivityLog, list[KeyResult], Standing | None]:
    """Store one activity with its points, the key results it moves, its ledger line and its
    webhook event, in the caller's transaction (with the member's row already locked); with
    `stand` (today, and this week's first and last day), also the member's standing after it."""
    score = _score(repo, user_id, activity, request.quantity, now=now, timezone=config.timezone)
    entry = repo.add_log(
        **log_values(now, user_id, activity, request, request_key=request_key, score=score)
    )
    return after_log(now, uow, repo, config, entry=entry, activity=activity, stand=stand)


def after_log(
    now: datetime,
    uow: UnitOfWork,
    repo: WorkspaceRepository,
    config: WorkspaceConfig,
    *,
    entry: ActivityLog,
    activity: CatalogEntry,
    stand: tuple[date, tuple[date, date]] | None = None,
) -> tuple[ActivityLog, list[KeyResult], Standing | None]:
    """store_activity after the log `entry` is stored: the key results it moves, its ledger
    line (and with `stand`, the standing after it) and its webhook event."""
    effects = effects_of(config, activity)
    moved: list[KeyResult] = []
    # Key results are locked before any rollup row, in every path (so no deadlock).
    if LogEffect.KEY_RESULTS in effects:
        moved = apply_counts(
            repo, uow.okrs(repo.workspace_id), entry, now, counted=config.counted(activity.id)
        )
    figures = repo.add_log_ledger_line(entry, stand)
    if LogEffect.WEBHOOK in effects:
        logged = {"id": entry.id, "member": entry.user_id, "activity": activity.key}
        logged |= {"quantity": entry.quantity, "points": entry.points, "note": entry.note}
        repo.emit(WATCHED, logged | {"logged_at": now.isoformat()}, now, config.webhooks)
    # LogEffect.DAILY_CAP: applied as the entry was scored (_score), under the member's lock.
    return entry, moved, figures


def effects_of(config: WorkspaceConfig, activity: CatalogEntry) -> frozenset[LogEffect]:
    """What a log of `activity` sets off in the workspace set up as `config`."""
    watched = any(WATCHED in events for _id, events in config.webhooks)
    counted = bool(config.counted(activity.id))
    return log_effects(capped=activity.daily_cap is not None, counted=counted, watched=watched)


def store_with_cached_setup(
    ctx: ServiceContext,
    uow: UnitOfWork,
    repo: WorkspaceRepository,
    user_id: str,
    *,
    read_request: Callable[[list[CatalogItem]], LogRequest],
    request_key: str | None,
) -> Stored | None:
    """The usual /log with one statement fewer: read with the setup this process has
    cached (quick_log), the entry is stored in the statement that locks the member, if the
    setup's version read under that lock is still the cached one. None, having stored
    nothing, when that cannot be: quick_log cannot, the member is not known yet, or the
    setup changed since it was cached."""
    quick = quick_log(ctx, repo.workspace_id, user_id, read_request, request_key=request_key)
    if quick is None:  # among others, for LogEffect.DAILY_CAP: quick_log scores before the lock
        return None
    config = quick.config
    version, entry = repo.lock_member_and_add_log(config.version, **quick.values)
    if version is not None:  # the member is stored: ServiceContext.warm has nothing to do
        ctx.known.add((repo.workspace_id, user_id))
    if entry is None:
        return None
    repo = uow.repo(repo.workspace_id, config.timezone)
    stand = today_and_week(quick.now, config.timezone)
    stored = after_log(
        quick.now, uow, repo, config, entry=entry, activity=quick.activity, stand=stand
    )
    return config, quick.request, stored


def store_with_current_setup(
    ctx: ServiceContext,
    uow: UnitOfWork,
    repo: WorkspaceRepository,
    user_id: str,
    *,
    read_request: Callable[[list[CatalogItem]], LogRequest],
    request_key: str | None,
) -> Stored:
    """/log the usual way: lock the member, read the setup if it changed, then store."""
    # The member's row is locked so their logs are scored one at a time (daily caps);
    # a repeated request_key is refused by a unique constraint and handled in _log.
    version = repo.lock_member(user_id)
    if version is None:  # first contact: create the member (and maybe the workspace)
        ensure_member(ctx, repo, user_id, lock=True)
    config = ctx.config(repo, version)
    repo = uow.repo(repo.workspace_id, config.timezone)
    items = catalog_items(config)
    request = read_request(items)
    activity = catalog_activity(config, request.activity_key)
    if activity is None:
        raise UserError(unknown_activity_message(request.activity_key, items), field="activity")
    now = ctx.clock.now()
    stand = today_and_week(now, config.timezone)
    stored = store_activity(
        now,
        uow,
        repo,
        config,
        user_id=user_id,
        activity=activity,
        request=request,
        request_key=request_key,
        stand=stand,
    )
    return config, request, stored


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
                message = unknown_activity_message(item.request.activity_key, catalog_items(config))
                raise UserError(message, field="activity")
            entry, _moved, _figures = store_activity(
                now,
                uow,
                repo,
                config,
                user_id=item.user_id,
                activity=activity,
                request=item.request,
                request_key=item.request_key,
            )
            stored.append(entry)
        uow.commit()
        return stored


def _score(
    repo: WorkspaceRepository,
    user_id: str,
    activity: CatalogEntry,
    quantity: int,
    *,
    now: datetime,
    timezone: str,
) -> ActivityScore:
    """The points `quantity` more units earn today, within the activity's daily cap."""
    already = 0
    if activity.daily_cap is not None:
        today = period_containing(PeriodKind.TODAY, now, zone(timezone))
        already = repo.units_logged(user_id, activity.id, today.start, today.end)
    return score_activity(quantity, activity.points, activity.daily_cap, already)
