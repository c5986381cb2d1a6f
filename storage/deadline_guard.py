"""Holding an engine to the deadline of the request it serves (bot.domain.deadlines).

Under a deadline, the waits for a pooled connection and (SQLite) for the write lock end
with the deadline, a connection is opened only when that can be given up in time, and one
in use is cut when the deadline expires: its socket is shut down, so the work waiting on
the database fails at once instead of when the database answers. Nothing is kept after the
deadline either:

- a commit is refused once the deadline has passed;
- on PostgreSQL, where a COMMIT already sent may reach a database that hung and later
  comes back, the COMMIT travels in one message with a check of the database's own clock
  against the deadline, and the database refuses it when it arrives late;
- the one-statement `/log` (storage.activities.log_at_once) carries the same check in its statement.

The database's clock is compared with okrbot's on each new connection, so the check holds
whatever the offset between the two clocks; the offset is taken at its most cautious (the
deadline may come early by one round trip, never late).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from bot.domain.deadlines import Deadline, TooLate, current, note_kept

_OFFSET = "_okrbot_clock_offset"
TOO_LATE = "57014"  # query_canceled: the answer was already given
_MIN_CONNECT_TIMEOUT = 2  # libpq's and psycopg's least connect_timeout


def guard(engine: Engine) -> Engine:
    """Install the deadline's checks on `engine` (PostgreSQL or SQLite)."""
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        event.listen(engine, "connect", _measure_clock)
        event.listen(engine, "do_connect", _connect_in_time)
    else:  # before the transaction's BEGIN IMMEDIATE (storage.db), which waits for the lock
        event.listen(engine, "begin", _busy_wait_in_time)
    event.listen(engine, "handle_error", _cut_is_not_an_outage)
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "reset", _reset)  # before the pool's rollback: no cut after it
    event.listen(engine, "checkin", _checked_in)
    commit = engine.dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        deadline = current()
        if deadline is None:
            commit(dbapi_connection)
            return
        try:
            with deadline.keeping():
                if postgres and not dbapi_connection.autocommit:
                    _commit_unless_late(dbapi_connection, deadline)
                else:
                    commit(dbapi_connection)
        except BaseException as error:
            # A refused commit ends the transaction here: the pool takes the connection back
            # as if it had committed, without rolling back.
            with contextlib.suppress(Exception):
                dbapi_connection.rollback()
            if getattr(error, "sqlstate", None) == TOO_LATE:  # the database's own check
                raise TooLate("the database refused a commit past the deadline") from error
            raise
        note_kept()

    engine.dialect.do_commit = do_commit  # type: ignore[method-assign]
    return engine


@contextmanager
def keeping_in_time(connection: Connection) -> Iterator[datetime | None]:
    """Around a statement that commits itself and checks the deadline itself: the deadline
    on the database's clock (None when the work has none), refused once passed."""
    deadline = current()
    if deadline is None:
        yield None
        return
    with deadline.keeping():
        yield _on_database_clock(connection.connection.dbapi_connection, deadline)


def _on_database_clock(dbapi_connection: Any, deadline: Deadline) -> datetime:
    offset = getattr(dbapi_connection, _OFFSET, timedelta(0))
    return deadline.utc + offset


def _measure_clock(dbapi_connection: Any, _record: Any) -> None:
    """Note how far the database's clock is ahead of okrbot's, at the least."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT clock_timestamp()")
        theirs = cursor.fetchone()[0]
    finally:
        cursor.close()
    ours = datetime.now(UTC)  # after the answer: the database read its clock before this
    if not dbapi_connection.autocommit:
        dbapi_connection.rollback()
    setattr(dbapi_connection, _OFFSET, theirs - ours)


def _connect_in_time(dialect: Any, _record: Any, args: Any, params: dict[str, Any]) -> Any:
    """Open a connection only when that can be given up in time (the least wait PostgreSQL's
    client allows for one is 2 s, and the watchdog cannot cut a connection being opened);
    TooLate when it cannot, or when the database did not answer within the time left."""
    deadline = current()
    if deadline is None:
        return None  # connected the usual way
    allowed = math.floor(deadline.remaining())
    if deadline.expired or allowed < _MIN_CONNECT_TIMEOUT:
        raise TooLate("too little time left to open a database connection")
    params["connect_timeout"] = min(int(params.get("connect_timeout", allowed)), allowed)
    started = time.monotonic()
    try:
        return dialect.connect(*args, **params)
    except Exception as error:
        if time.monotonic() - started >= params["connect_timeout"] - 0.1:  # it used its time
            raise TooLate("the database did not answer a new connection in time") from error
        raise


class DeadlinePool(QueuePool):
    """A QueuePool whose wait for a free connection ends with the work's deadline."""

    @property
    def _timeout(self) -> float:
        deadline = current()
        if deadline is None:
            return self._configured
        return min(self._configured, deadline.remaining())

    @_timeout.setter
    def _timeout(self, value: float) -> None:
        self._configured = value


def _busy_wait_in_time(connection: Connection) -> None:
    """SQLite: the transaction's wait for the write lock (its busy timeout) ends with the work's
    deadline (by up to a quarter second after it, so that the work then knows it is late),
    or is the engine's without one. Rounded to quarter seconds, it is most often what the
    connection has already: set only when it changes."""
    dbapi_connection = connection.connection.dbapi_connection
    record = connection.connection._connection_record
    if dbapi_connection is None or record is None:
        return
    info, deadline = record.info, current()
    if deadline is None:
        if "engine_busy_ms" not in info:
            return  # never changed
        wanted = info["engine_busy_ms"]
    else:
        deadline.check()
        if "engine_busy_ms" not in info:
            info["engine_busy_ms"] = info["busy_ms"] = _busy_timeout(dbapi_connection)
        wanted = 250 * math.ceil(deadline.remaining() * 4)  # it ends after the deadline
    if info["busy_ms"] != wanted:
        dbapi_connection.execute(f"PRAGMA busy_timeout={wanted}")
        info["busy_ms"] = wanted


def _busy_timeout(dbapi_connection: Any) -> int:
    return int(dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0])


def _cut_is_not_an_outage(context: Any) -> None:
    """A connection the watchdog cut is replaced alone: the others in the pool are fine."""
    deadline = current()
    if deadline is not None and deadline.expired:
        context.invalidate_pool_on_disconnect = False


def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    deadline = current()
    if deadline is None:
        return
    deadline.check()
    record.info["deadline"] = deadline
    deadline.on_expire(id(record), lambda: _cut(dbapi_connection))


def _reset(dbapi_connection: Any, record: Any, _state: Any) -> None:
    _checked_in(dbapi_connection, record)


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    deadline = record.info.pop("deadline", None)
    if deadline is not None:
        deadline.forget(id(record))


def _cut(dbapi_connection: Any) -> None:
    """Make whatever waits on `dbapi_connection` fail now."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:  # SQLite: its waits end with its busy timeout, and commits are checked
        return
    try:
        descriptor = os.dup(pgconn.socket)
    except Exception:  # closed already
        return
    with socket.socket(fileno=descriptor) as sock, contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _commit_unless_late(dbapi_connection: Any, deadline: Deadline) -> None:
    """COMMIT, in one message with a check that the database's clock has not passed the
    deadline: a COMMIT that reaches the database late is refused there, not kept."""
    at = _on_database_clock(dbapi_connection, deadline).isoformat()
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(
            "DO $$BEGIN IF clock_timestamp() > '"
            + at
            + "'::timestamptz THEN RAISE EXCEPTION 'too late to keep: the answer was given'"
            " USING ERRCODE = '" + TOO_LATE + "'; END IF; END$$; COMMIT"
        )
    finally:
        cursor.close()
