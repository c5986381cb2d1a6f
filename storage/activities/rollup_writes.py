"""Writing to the rollups: a ledger entry, its day's points and its month's, together.

On PostgreSQL the entry and both rollups go in as one statement (one round trip, the most
frequent write okrbot makes); SQLite, in-process, takes three.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, cast

from sqlalchemy import CTE, Connection, Date, Insert, Integer, String, Table, bindparam, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import DailyPoints, LedgerEntry, MonthlyPoints
from storage.statements import insert_unless_present

DAILY = cast(Table, DailyPoints.__table__)
MONTHLY = cast(Table, MonthlyPoints.__table__)
LEDGER = cast(Table, LedgerEntry.__table__)
_POINTS = ("activity_points", "result_points")
_DAY_COLUMNS = ("day", *_POINTS, "activities")
_MONTH_COLUMNS = ("month", *_POINTS)


def rollup_values(day: date, activity: int, result: int, logs: int) -> dict[str, Any]:
    """What a ledger entry adds to its `day` and that day's month: its points (`activity`,
    `result`) and, to the day, `logs`."""
    return {
        "day": day,
        "month": day.replace(day=1),
        "activity_points": activity,
        "result_points": result,
        "activities": logs,
    }


def add_entry(connection: Connection, entry: dict[str, Any], rollup: dict[str, Any]) -> bool:
    """Append the ledger `entry` and add `rollup` (rollup_values) to the member's day and
    month; False, and nothing added, when an entry with the same reason and reference exists."""
    if connection.dialect.name == "postgresql":
        return connection.execute(_entry_with_rollup(), entry | rollup).first() is not None
    if connection.execute(insert_unless_present("sqlite", LEDGER), entry).first() is None:
        return False
    keys = {"workspace_id": entry["workspace_id"], "user_id": entry["user_id"]}
    for table, columns in ((DAILY, _DAY_COLUMNS), (MONTHLY, _MONTH_COLUMNS)):
        values = keys | {name: rollup[name] for name in columns}
        connection.execute(_sqlite_rollup_upsert(table), values)
    return True


@cache
def entry_with_rollup_cte() -> CTE:
    """PostgreSQL: add_entry as a CTE, for a query that reads on after the write. It has a
    row when the entry went in: `day_total`, the day's points with the entry's (and with any
    other transaction's that wrote the day first). The query's own reads see the rollups as
    they were when it started."""
    return _entry_with_rollup().cte("written")


def _adding(statement: Any, table: Table) -> Insert:
    """`statement`, an INSERT into the rollup `table`, made to add to the row of its day (or
    month) when it exists."""
    totals = [name for name in (*_POINTS, "activities") if name in table.c]
    return cast(
        Insert,
        statement.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key],
            set_={name: table.c[name] + statement.excluded[name] for name in totals},
        ),
    )


@cache
def _sqlite_rollup_upsert(table: Table) -> Insert:
    return _adding(sqlite.insert(table), table)


@cache
def log_entry_with_rollup_cte(added: CTE) -> CTE:
    """PostgreSQL: entry_with_rollup_cte for the activity log entry `added` (a CTE that
    inserted it and returns its id, workspace_id, user_id, points and logged_at), if it has
    a row: the ledger entry's values other than those come from the parameters `category`
    and `reason`, and the rollups' from rollup_values."""
    return _entry_with_rollup(added).cte("written")


@cache
def _entry_with_rollup(added: CTE | None = None) -> Insert:
    """PostgreSQL: the ledger entry, and the rollups only when the entry went in (their
    inserts read their rows from the entry's RETURNING). The entry's values are parameters,
    or with `added`, read from that log entry (log_entry_with_rollup_cte)."""
    values: dict[str, Any] = {c.name: bindparam(c.name) for c in LEDGER.c if c.name != "id"}
    insert = postgresql.insert(LEDGER)
    if added is None:
        insert = insert.values(values)
    else:
        values |= {name: added.c[name] for name in ("workspace_id", "user_id", "points")}
        values |= {"occurred_at": added.c.logged_at, "recorded_at": added.c.logged_at}
        values["reference"] = sql_cast(added.c.id, String)
        rows = select(*(value.label(name) for name, value in values.items()))
        insert = insert.from_select(list(values), rows.select_from(added))
    entry = (
        insert.on_conflict_do_nothing()
        .returning(LEDGER.c.workspace_id, LEDGER.c.user_id)
        .cte("entry")
    )
    params: dict[str, Any] = {name: bindparam(name, type_=Date) for name in ("day", "month")}
    params |= {name: bindparam(name, type_=Integer) for name in _DAY_COLUMNS[1:]}

    def upsert(table: Table, columns: tuple[str, ...]) -> Insert:
        rows = select(entry.c.workspace_id, entry.c.user_id, *(params[c] for c in columns))
        insert = postgresql.insert(table).from_select(["workspace_id", "user_id", *columns], rows)
        return _adding(insert, table)

    day_total = (DAILY.c.activity_points + DAILY.c.result_points).label("day_total")
    month = upsert(MONTHLY, _MONTH_COLUMNS).cte("month")
    return upsert(DAILY, _DAY_COLUMNS).returning(day_total).add_cte(month)
