"""Reading a /log against a workspace's setup: its catalog, the log row it makes, and its
calendar's today and week; and reading it with the setup a process has cached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.errors import UserError
from bot.domain.parsing import CatalogItem, LogRequest
from bot.domain.periods import PeriodKind, local_date, period_containing, zone
from bot.domain.scoring import ActivityScore, score_activity
from bot.services.context import CatalogEntry, ServiceContext, WorkspaceConfig


def catalog_items(config: WorkspaceConfig) -> list[CatalogItem]:
    """The catalog as a request is read against it."""
    return [CatalogItem(a.key, a.name) for a in config.catalog]


def catalog_activity(config: WorkspaceConfig, key: str) -> CatalogEntry | None:
    return next((a for a in config.catalog if a.key == key), None)


def today_and_week(now: datetime, timezone: str) -> tuple[date, tuple[date, date]]:
    """Today, and the first and last day of this week, on the calendar of `timezone`."""
    tz = zone(timezone)
    week = period_containing(PeriodKind.WEEK, now, tz)
    last_day = local_date(week.end, tz) - timedelta(days=1)
    return local_date(now, tz), (local_date(week.start, tz), last_day)


def log_values(
    now: datetime,
    user_id: str,
    activity: CatalogEntry,
    request: LogRequest,
    *,
    request_key: str | None,
    score: ActivityScore,
) -> dict[str, Any]:
    """The activity log row of `request`, scored `score`, but for its workspace and id."""
    return {
        "user_id": user_id,
        "activity_type_id": activity.id,
        "quantity": score.quantity,
        "points_per_unit": score.points_per_unit,
        "points": score.points,
        "units_over_cap": score.units_over_cap,
        "note": request.note,
        "logged_at": now,
        "request_key": request_key,
    }


@dataclass(frozen=True, kw_only=True)
class QuickLog:
    """A /log read and scored with the setup this process has cached (quick_log)."""

    config: WorkspaceConfig
    request: LogRequest
    activity: CatalogEntry
    now: datetime
    values: dict[str, Any]  # its log row (log_values)


def quick_log(
    ctx: ServiceContext,
    workspace_id: str,
    user_id: str,
    read_request: Callable[[list[CatalogItem]], LogRequest],
    *,
    request_key: str | None,
) -> QuickLog | None:
    """The /log read and scored with the setup this process has cached, for the quick ways
    of storing it (which store it only if that setup is still current); None when they
    cannot: nothing cached, a request the cached catalog does not read (answered the usual
    way, with the current catalog), or an activity with a daily cap (whose points need
    today's units, read under the member's lock). The time of the entry is read before the
    lock (the usual way reads it after): a /log that waits for the same member's previous
    one counts on the day it was sent."""
    config = ctx.configs.get(workspace_id)
    if config is None:
        return None
    try:
        request = read_request(catalog_items(config))
    except UserError:
        return None
    activity = catalog_activity(config, request.activity_key)
    if activity is None or activity.daily_cap is not None:
        return None
    now = ctx.clock.now()
    score = score_activity(request.quantity, activity.points, None, 0)
    values = log_values(now, user_id, activity, request, request_key=request_key, score=score)
    return QuickLog(config=config, request=request, activity=activity, now=now, values=values)
