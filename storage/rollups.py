"""Daily points rollups: one row per member and day of the workspace's calendar.

Every ledger entry adds its points to the row of the day it occurred on, in the same
transaction, so standings read at most a row per member and day instead of the raw ledger.
`rebuild` recomputes them from the ledger, for a new timezone or a repair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Table,
    case,
    delete,
    func,
    literal,
    select,
    text,
)
from sqlalchemy import cast as sa_cast

from storage.models import (
    ACTIVITY,
    RESULT,
    ActivityLog,
    DailyPoints,
    LedgerEntry,
    Workspace,
)

BATCH = 5000
DAILY = cast(Table, DailyPoints.__table__)


def points_by_member(
    connection: Connection,
    workspace_id: str,
    first: date,
    last: date,
    user_ids: Sequence[str] | None = None,
) -> dict[str, tuple[int, int]]:
    """(activity points, result points) per member over the days `first`..`last` inclusive."""
    query = (
        select(
            DAILY.c.user_id,
            func.sum(DAILY.c.activity_points),
            func.sum(DAILY.c.result_points),
        )
        .where(DAILY.c.workspace_id == workspace_id, DAILY.c.day >= first, DAILY.c.day <= last)
        .group_by(DAILY.c.user_id)
    )
    if user_ids is not None:
        query = query.where(DAILY.c.user_id.in_(list(user_ids)))
    rows = connection.execute(query).all()  # one fetch, not one call per member
    return {user: (int(act or 0), int(res or 0)) for user, act, res in rows}


def active_days(connection: Connection, workspace_id: str, user_id: str, since: date) -> set[date]:
    """Days from `since` on when `user_id` has at least one log that was not undone."""
    query = select(DAILY.c.day).where(
        DAILY.c.workspace_id == workspace_id,
        DAILY.c.user_id == user_id,
        DAILY.c.day >= since,
        DAILY.c.activities > 0,
    )
    return set(connection.execute(query).scalars())


MASK_DAYS = 62  # days one member's number holds: bits 0 to 61


def active_days_by_member(
    connection: Connection, workspace_id: str, since: date
) -> Iterator[tuple[str, list[date]]]:
    """Each member's days from `since` on with at least one log that was not undone.

    The database folds each member's days into one number, bit n for `since` + n days (a
    member has one row a day, so the sum of the bits is their union): one row a member
    crosses the wire, not one a day. Days from MASK_DAYS on are left out: it fits 64 bits."""
    if connection.dialect.name == "postgresql":
        offset: Any = DAILY.c.day - since
    else:  # SQLite keeps dates as text
        offset = sa_cast(func.julianday(DAILY.c.day) - func.julianday(since.isoformat()), Integer)
    bit = literal(1, BigInteger).op("<<")(offset)
    query = (
        select(DAILY.c.user_id, func.sum(bit))
        .where(DAILY.c.workspace_id == workspace_id, DAILY.c.activities > 0)
        .where(DAILY.c.day >= since, DAILY.c.day < since + timedelta(days=MASK_DAYS))
        .group_by(DAILY.c.user_id)
    )
    for user, mask in connection.execute(query):
        bits = int(mask)
        yield user, [since + timedelta(days=n) for n in range(bits.bit_length()) if bits >> n & 1]


Progress = Callable[[int], None]


def _rebuild_in_postgres(connection: Connection, workspace_id: str, tz_name: str) -> int:
    """The same sums as `rebuild`, computed by PostgreSQL (whose calendar knows time zones),
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
    """Recompute a workspace's rollups from its ledger and activity log, in the workspace's
    current timezone; return how many ledger entries were read."""
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
    tz = ZoneInfo(str(tz_name))
    totals: dict[tuple[str, date], list[int]] = {}
    read = _add_ledger(connection, workspace_id, tz, totals, progress)
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
