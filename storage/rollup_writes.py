"""Writing to the daily rollups: a ledger entry and its day's points, together.

On PostgreSQL the entry and the rollup go in as one statement (one round trip, the most
frequent write okrbot makes); SQLite, in-process, takes two.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, cast

from sqlalchemy import CTE, Connection, Date, Insert, Integer, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import DailyPoints, LedgerEntry
from storage.repo_base import insert_unless_present

DAILY = cast(Table, DailyPoints.__table__)
LEDGER = cast(Table, LedgerEntry.__table__)
_DAY_COLUMNS = ("day", "activity_points", "result_points", "activities")


def rollup_values(day: date, activity: int, result: int, logs: int) -> dict[str, Any]:
    """What a ledger entry adds to its `day`: its points (`activity`, `result`) and `logs`."""
    return {"day": day, "activity_points": activity, "result_points": result, "activities": logs}


def add_entry(connection: Connection, entry: dict[str, Any], rollup: dict[str, Any]) -> bool:
    """Append the ledger `entry` and add `rollup` (rollup_values) to the member's day; False,
    and nothing added, when an entry with the same reason and reference exists."""
    if connection.dialect.name == "postgresql":
        return connection.execute(_entry_with_rollup(), entry | rollup).first() is not None
    if connection.execute(insert_unless_present("sqlite", LEDGER), entry).first() is None:
        return False
    keys = {"workspace_id": entry["workspace_id"], "user_id": entry["user_id"]}
    connection.execute(_sqlite_rollup_upsert(), keys | rollup)
    return True


@cache
def entry_with_rollup_cte() -> CTE:
    """PostgreSQL: add_entry as a CTE, for a query that reads on after the write. It has a
    row when the entry went in: `day_total`, the day's points with the entry's (and with any
    other transaction's that wrote the day first). The query's own reads see the rollups as
    they were when it started."""
    return _entry_with_rollup().cte("written")


def _adding(statement: Any) -> Insert:
    """`statement`, an INSERT into daily_points, made to add to the day's row when it exists."""
    return cast(
        Insert,
        statement.on_conflict_do_update(
            index_elements=["workspace_id", "user_id", "day"],
            set_={
                "activity_points": DAILY.c.activity_points + statement.excluded.activity_points,
                "result_points": DAILY.c.result_points + statement.excluded.result_points,
                "activities": DAILY.c.activities + statement.excluded.activities,
            },
        ),
    )


@cache
def _sqlite_rollup_upsert() -> Insert:
    return _adding(sqlite.insert(DAILY))


@cache
def _entry_with_rollup() -> Insert:
    """PostgreSQL: the ledger entry, and the rollup only when the entry went in (the
    rollup's insert reads its rows from the entry's RETURNING)."""
    values: dict[str, Any] = {c.name: bindparam(c.name) for c in LEDGER.c if c.name != "id"}
    entry = (
        postgresql.insert(LEDGER)
        .values(values)
        .on_conflict_do_nothing()
        .returning(LEDGER.c.workspace_id, LEDGER.c.user_id)
        .cte("entry")
    )
    day = select(
        entry.c.workspace_id,
        entry.c.user_id,
        bindparam("day", type_=Date),
        *(bindparam(name, type_=Integer) for name in _DAY_COLUMNS[1:]),
    )
    upsert = postgresql.insert(DAILY).from_select(["workspace_id", "user_id", *_DAY_COLUMNS], day)
    day_total = (DAILY.c.activity_points + DAILY.c.result_points).label("day_total")
    return _adding(upsert).returning(day_total)
