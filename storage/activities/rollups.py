"""Points rollups: one row per member and day of the workspace's calendar, and one per
member and month.

Every ledger entry adds its points to the rows of the day and month it occurred in, in the
same transaction, so standings read at most a row per member and month (and a row a day at
the edges of a period that is not whole months) instead of the raw ledger.
`storage.activities.rollup_rebuild` recomputes them from the ledger, for a new timezone or a repair.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Select,
    Table,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy import cast as sa_cast

from storage.models import DailyPoints, MonthlyPoints

DAILY = cast(Table, DailyPoints.__table__)
MONTHLY = cast(Table, MonthlyPoints.__table__)


def points_by_member(
    connection: Connection,
    workspace_id: str,
    first: date,
    last: date,
    *,
    user_ids: Sequence[str] | None = None,
) -> dict[str, tuple[int, int]]:
    """(activity points, result points) per member over the days `first`..`last` inclusive:
    whole months from the monthly rollups, the days around them from the daily ones."""
    days, months = split_into_months(first, last)
    parts: list[Select[Any]] = [
        select(DAILY.c.user_id, DAILY.c.activity_points, DAILY.c.result_points).where(
            DAILY.c.workspace_id == workspace_id, DAILY.c.day >= start, DAILY.c.day <= end
        )
        for start, end in days
    ]
    if months is not None:
        parts.append(
            select(MONTHLY.c.user_id, MONTHLY.c.activity_points, MONTHLY.c.result_points).where(
                MONTHLY.c.workspace_id == workspace_id,
                MONTHLY.c.month >= months[0],
                MONTHLY.c.month <= months[1],
            )
        )
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    query = select(
        rows.c.user_id, func.sum(rows.c.activity_points), func.sum(rows.c.result_points)
    ).group_by(rows.c.user_id)
    if user_ids is not None:
        query = query.where(rows.c.user_id.in_(list(user_ids)))
    fetched = connection.execute(query).all()  # one fetch, not one call per member
    return {user: (int(act or 0), int(res or 0)) for user, act, res in fetched}


def split_into_months(
    first: date, last: date
) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The days `first`..`last` as the spans of days outside whole months, and the first days
    of the first and last whole months (None when no month is whole)."""
    opening = first if first.day == 1 else _next_month(first)
    after = last + timedelta(days=1)
    closing = after if after.day == 1 else last.replace(day=1)  # the month after the whole ones
    if opening >= closing:
        return [(first, last)], None
    edges = [(first, opening - timedelta(days=1)), (closing, last)]
    months = (opening, (closing - timedelta(days=1)).replace(day=1))
    return [(start, end) for start, end in edges if start <= end], months


def _next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


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
