"""Recomputing the rollups from the ledger and the activity log, for a new timezone or a
repair (`okrbot rollups rebuild`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, DateTime, case, delete, func, select, text
from sqlalchemy import cast as sa_cast

from storage.activities.rollups import DAILY, MONTHLY
from storage.models import ACTIVITY, RESULT, ActivityLog, LedgerEntry, Workspace

BATCH = 5000


Progress = Callable[[int], None]


def _rebuild_in_postgres(connection: Connection, workspace_id: str, tz_name: str) -> int:
    """The same sums as `rebuild_days`, computed by PostgreSQL (whose calendar knows time zones),
    so a large ledger never passes through this process."""
    values = {"workspace": workspace_id, "zone": tz_name}
    connection.execute(
        text(
            "INSERT INTO daily_points"
            " (workspace_id, user_id, day, activity_points, result_points, activities)"
            " SELECT :workspace, user_id, day, sum(activity), sum(result), sum(logs) FROM ("
            "  SELECT user_id, (occurred_at AT TIME ZONE :zone)::date AS day,"
            "   CASE WHEN category = 'activity' THEN points ELSE 0 END AS activity,"
            "   CASE WHEN category = 'result' THEN points ELSE 0 END AS result, 0 AS logs"
            "  FROM ledger_entries WHERE workspace_id = :workspace"
            "  UNION ALL"
            "  SELECT user_id, (logged_at AT TIME ZONE :zone)::date, 0, 0, 1"
            "  FROM activity_logs WHERE workspace_id = :workspace AND undone_at IS NULL"
            " ) AS entries GROUP BY user_id, day"
        ),
        values,
    )
    read = connection.execute(
        text("SELECT count(*) FROM ledger_entries WHERE workspace_id = :workspace"), values
    ).scalar_one()
    return int(read)


def rebuild(connection: Connection, workspace_id: str, progress: Progress | None = None) -> int:
    """Recompute a workspace's daily and monthly rollups from its ledger and activity log, in
    the workspace's current timezone; return how many ledger entries were read."""
    read = rebuild_days(connection, workspace_id, progress)
    add_months(connection, workspace_id)
    return read


def rebuild_days(
    connection: Connection, workspace_id: str, progress: Progress | None = None
) -> int:
    """`rebuild`'s daily rollups alone (the schema before monthly ones had those only)."""
    workspaces = Workspace.__table__
    # Locking the workspace row waits for ledger writers in flight and holds off new ones
    # (they share-lock it) until this transaction ends, so no upsert races the rebuild. It is
    # FOR NO KEY UPDATE: a writer's foreign-key check (FOR KEY SHARE) must not block it, or a
    # writer that checked its key and then waits for the share lock would deadlock with it.
    tz_name = connection.execute(
        select(workspaces.c.timezone)
        .where(workspaces.c.id == workspace_id)
        .with_for_update(key_share=True)
    ).scalar_one()
    connection.execute(delete(DAILY).where(DAILY.c.workspace_id == workspace_id))
    if connection.dialect.name == "postgresql":
        return _rebuild_in_postgres(connection, workspace_id, str(tz_name))
    return _rebuild_here(connection, workspace_id, ZoneInfo(str(tz_name)), progress)


def add_months(connection: Connection, workspace_id: str) -> None:
    """Replace the workspace's monthly rollups with the sums of its daily ones."""
    connection.execute(delete(MONTHLY).where(MONTHLY.c.workspace_id == workspace_id))
    if connection.dialect.name == "postgresql":
        month: Any = sa_cast(func.date_trunc("month", sa_cast(DAILY.c.day, DateTime)), Date)
    else:  # SQLite keeps dates as ISO text
        month = func.date(DAILY.c.day, "start of month")
    sums = (
        select(
            DAILY.c.workspace_id,
            DAILY.c.user_id,
            month,
            func.sum(DAILY.c.activity_points),
            func.sum(DAILY.c.result_points),
        )
        .where(DAILY.c.workspace_id == workspace_id)
        .group_by(DAILY.c.workspace_id, DAILY.c.user_id, month)
    )
    columns = ["workspace_id", "user_id", "month", "activity_points", "result_points"]
    connection.execute(MONTHLY.insert().from_select(columns, sums))


def _rebuild_here(
    connection: Connection, workspace_id: str, tz: ZoneInfo, progress: Progress | None
) -> int:
    """`rebuild`'s daily sums, computed in this process (SQLite's calendar knows no zones)."""
    totals: dict[tuple[str, date], list[int]] = {}
    read = _add_ledger(connection, workspace_id, tz, totals, progress=progress)
    _add_log_counts(connection, workspace_id, tz, totals)
    values: list[dict[str, Any]] = [
        {
            "workspace_id": workspace_id,
            "user_id": user,
            "day": day,
            "activity_points": activity,
            "result_points": result,
            "activities": count,
        }
        for (user, day), (activity, result, count) in totals.items()
    ]
    for start in range(0, len(values), BATCH):
        connection.execute(DAILY.insert(), values[start : start + BATCH])
    return read


Totals = dict[tuple[str, date], list[int]]  # (member, day) -> [activity, result, logs]


def _add_ledger(
    connection: Connection,
    workspace_id: str,
    tz: ZoneInfo,
    totals: Totals,
    *,
    progress: Progress | None,
) -> int:
    """Sum the workspace's ledger into `totals` by member and local day; return entries read."""
    ledger = LedgerEntry.__table__
    entries = connection.execute(
        select(
            ledger.c.user_id,
            ledger.c.occurred_at,
            case((ledger.c.category == ACTIVITY, ledger.c.points), else_=0),
            case((ledger.c.category == RESULT, ledger.c.points), else_=0),
        )
        .where(ledger.c.workspace_id == workspace_id)
        .execution_options(yield_per=BATCH)  # streamed, not loaded whole
    )
    read = 0
    for user, occurred, activity, result in entries:
        row = totals.setdefault((user, occurred.astimezone(tz).date()), [0, 0, 0])
        row[0] += activity
        row[1] += result
        read += 1
        if progress is not None and read % 100_000 == 0:
            progress(read)
    return read


def _add_log_counts(
    connection: Connection, workspace_id: str, tz: ZoneInfo, totals: Totals
) -> None:
    """Count the logs not undone into `totals` by member and local day."""
    logs = ActivityLog.__table__
    counts: Counter[tuple[str, date]] = Counter()
    rows = connection.execute(
        select(logs.c.user_id, logs.c.logged_at)
        .where(logs.c.workspace_id == workspace_id, logs.c.undone_at.is_(None))
        .execution_options(yield_per=BATCH)
    )
    for user, logged in rows:
        counts[(user, logged.astimezone(tz).date())] += 1
    for key, count in counts.items():
        totals.setdefault(key, [0, 0, 0])[2] = count
