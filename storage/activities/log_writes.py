"""Storing an activity log entry: alone, or with the member's lock in the same statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Select, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from bot.domain.errors import Duplicate
from storage.activities.rollup_writes import rollup_values
from storage.models import ACTIVITY, ActivityLog
from storage.statements import lock_member_statement, locked_config_version, table_of

LOGS = table_of(ActivityLog)
REASON = "activity"  # the ledger reason of a log's line ("activity_undo": of its undoing)


def ledger_line(log_id: int, user_id: str, points: int, logged_at: datetime) -> dict[str, Any]:
    """The ledger line of an activity log entry: the one definition, whichever way the
    entry is stored (the one statement of storage.activities.log_at_once reads the same columns from
    the entry it inserts)."""
    return {
        "user_id": user_id,
        "points": points,
        "category": ACTIVITY,
        "reason": REASON,
        "reference": str(log_id),
        "occurred_at": logged_at,
        "recorded_at": logged_at,
    }


def log_rollup(points: int, day: date) -> dict[str, Any]:
    """What an activity log entry of `points` adds to its member's `day` and month."""
    return rollup_values(day, activity=points, result=0, logs=1)


def add_log(connection: Connection, row: dict[str, Any]) -> int:
    """Insert the log entry `row` (every column but its id); its new id. Duplicate when its
    request key was logged already (the transaction is then spent)."""
    with duplicate_request(row):
        return int(connection.execute(_add_log(), row).scalar_one())


def lock_member_and_add_log(
    connection: Connection, row: dict[str, Any], expected_version: int
) -> tuple[int | None, int | None]:
    """Lock the member of `row` as locked_config_version does and, when the workspace's
    configuration version is `expected_version`, insert `row`: one statement on PostgreSQL.
    The version read (None for a member or workspace not known) and the entry's id (None
    when nothing was inserted)."""
    if connection.dialect.name != "postgresql":
        version = locked_config_version(connection, row["workspace_id"], row["user_id"])
        if version != expected_version:
            return version, None
        return version, add_log(connection, row)
    values = row | {"workspace": row["workspace_id"], "user": row["user_id"]}
    with duplicate_request(row):
        statement = _lock_and_log(tuple(sorted(row)))
        found = connection.execute(statement, values | {"expected": expected_version})
        first = found.first()
    if first is None:
        return None, None
    version, new_id = first
    return int(version), None if new_id is None else int(new_id)


@contextmanager
def duplicate_request(row: dict[str, Any]) -> Iterator[None]:
    """Turns the violation of the unique request key of `row` into Duplicate."""
    try:
        yield
    except IntegrityError as error:
        if "request_key" in str(error.orig):
            raise Duplicate(f"request {row.get('request_key')} was logged already") from error
        raise


@cache
def _add_log() -> Insert:
    return LOGS.insert().returning(LOGS.c.id)


@cache
def _lock_and_log(names: tuple[str, ...]) -> Select[Any]:
    """PostgreSQL: the member's lock (lock_member_statement, as a CTE), then the insert of
    an entry with the columns `names`, which reads its one row from the lock's only when
    the version is the expected one. PostgreSQL runs a CTE that locks rows once, before
    what reads it; a row it had to wait for is read again, as committed, before the version
    is compared."""
    locked = lock_member_statement("postgresql").cte("locked")
    entry = select(*(bindparam(name, type_=LOGS.c[name].type) for name in names))
    entry = entry.select_from(locked).where(locked.c.config_version == bindparam("expected"))
    added = postgresql.insert(LOGS).from_select(names, entry).returning(LOGS.c.id).cte("added")
    return select(locked.c.config_version, select(added.c.id).scalar_subquery())
