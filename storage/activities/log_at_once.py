"""PostgreSQL: a whole `/log` in one statement, which commits itself.

Locking the member, storing the entry (only while the workspace's setup is the one the
caller scored it by), its ledger line, its day's and month's rollups, and reading the
member's standing after it: one round trip, with no BEGIN and no COMMIT of its own, as a
single statement is a transaction of its own. It serves a log with none of the effects of
bot.domain.log_effects beyond those it declares (PERFORMS); any other takes the
transaction of bot.services.activities.activity_store, which performs them all.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Connection, DateTime, Select, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql

from bot.domain.deadlines import TooLate, note_kept
from bot.domain.log_effects import LogEffect
from storage.activities.log_writes import LOGS, duplicate_request, ledger_line, log_rollup
from storage.activities.rollup_writes import log_entry_with_rollup_cte
from storage.activities.standings_query import (
    Standing,
    standing_of,
    standing_query,
    standing_values,
)
from storage.deadline_guard import keeping_in_time
from storage.statements import lock_member_statement

# The effects of a log (bot.domain.log_effects) this statement performs; a log with any
# other is stored by the transaction that performs them all. None: it counts toward no key
# result, emits no webhook event, and scores without today's units (no daily cap).
PERFORMS: frozenset[LogEffect] = frozenset()


def log_at_once(
    connection: Connection,
    row: dict[str, Any],
    expected_version: int,
    today: date,
    *,
    week: tuple[date, date],
) -> tuple[int | None, int | None, Standing | None]:
    """Store the activity log entry `row` (logged `today`, a day of `week`, on the
    workspace's calendar) with its ledger line and rollups, and read its member's standing,
    on a `connection` in autocommit. The configuration version read under the member's lock
    (None for a member not known), the entry's id and the standing (None, and nothing
    stored, when the version is not `expected_version`). Duplicate when the entry's request
    key was logged already; TooLate, with nothing stored, when the statement ran after the
    request's deadline."""
    # The ledger line's other columns are read from the entry the statement inserts.
    line = ledger_line(0, row["user_id"], int(row["points"]), row["logged_at"])
    values = row | {"expected": expected_version, "category": line["category"]}
    values |= {"reason": line["reason"]} | log_rollup(int(row["points"]), today)
    values |= standing_values(row["workspace_id"], row["user_id"], today, week)
    with keeping_in_time(connection) as deadline, duplicate_request(row):
        values["deadline"] = deadline
        found = connection.execute(_statement(tuple(sorted(row))), values).one()
    version, new_id = found[6], found[7]
    if new_id is None and version == expected_version:  # it reached the database too late
        raise TooLate("the answer was already given; nothing was kept")
    if new_id is not None:
        note_kept()
    if new_id is None:
        return (None if version is None else int(version)), None, None
    return int(version), int(new_id), standing_of(found)


@cache
def _statement(names: tuple[str, ...]) -> Select[Any]:
    """The lock (as lock_member_and_add_log's), the insert of an entry with the columns
    `names` while the version is the expected one, the ledger line and rollups read from
    that insert's row, and the standing after it, with the version and the new id."""
    locked = lock_member_statement("postgresql", whole_transaction=True).cte("locked")
    entry = select(*(bindparam(name, type_=LOGS.c[name].type) for name in names))
    entry = entry.select_from(locked).where(locked.c.config_version == bindparam("expected"))
    # Under the lock, as the row is made: a statement that reached a database which hung
    # stores nothing once the answer was given without it (storage.deadline_guard).
    deadline = bindparam("deadline", type_=DateTime(timezone=True))
    entry = entry.where(
        func.clock_timestamp() <= func.coalesce(deadline, literal_column("'infinity'::timestamptz"))
    )
    returned = (LOGS.c.id, LOGS.c.workspace_id, LOGS.c.user_id, LOGS.c.points, LOGS.c.logged_at)
    added = postgresql.insert(LOGS).from_select(names, entry).returning(*returned).cte("added")
    written = log_entry_with_rollup_cte(added)
    return standing_query(written).add_columns(
        select(locked.c.config_version).scalar_subquery(),
        select(added.c.id).scalar_subquery(),
    )
