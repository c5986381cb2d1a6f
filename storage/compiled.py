"""Statements built once and run on every `/log`, compiled once per dialect.

SQLAlchemy looks a statement up in its compiled cache on every run: it hashes the
statement's cache key (for the `/log` statements, a nested tuple of some hundreds of items)
and rebuilds its parameters bind by bind. For a statement whose shape never changes, that
work is done once here, and each run hands the SQL text and its parameters to the driver
(`exec_driver_sql`), through the same connection, transaction, events and error handling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class Compiled:
    """A statement's SQL for one dialect, the values of its constant binds, and the order of
    its parameters when the driver takes them by position (None: by name)."""

    sql: str
    constants: dict[str, Any]
    order: tuple[str, ...] | None

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
        merged = self.constants | dict(values)
        missing = [name for name in self.order or merged if name not in merged]
        if missing:
            raise KeyError(f"no value for {', '.join(missing)}")
        return merged if self.order is None else tuple(merged[name] for name in self.order)


_COMPILED: dict[tuple[int, str], tuple[ClauseElement, Compiled | None]] = {}


def compiled(statement: ClauseElement, dialect: Dialect) -> Compiled | None:
    """`statement` compiled for `dialect`, once; None when it cannot be run that way (its
    parameters need converting for this driver, as dates for SQLite do, or expand into
    lists). The statement must be built once too (kept by the caller): it is remembered by
    identity, with a reference that keeps it alive."""
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    result = _compile(statement, dialect)
    _COMPILED[key] = (statement, result)
    return result


def _compile(statement: ClauseElement, dialect: Dialect) -> Compiled | None:
    compiler = statement.compile(dialect=dialect)
    assert isinstance(compiler, SQLCompiler)
    if compiler.literal_execute_params or compiler.post_compile_params:
        return None
    if compiler._bind_processors:  # exec_driver_sql hands values to the driver as they are
        return None
    binds = compiler.construct_params(_check=False)
    constants = {name: value for name, value in binds.items() if value is not None}
    order = tuple(compiler.positiontup) if compiler.positiontup is not None else None
    return Compiled(compiler.string, constants, order)


def run(
    connection: Connection, statement: Executable, values: Mapping[str, Any]
) -> CursorResult[*tuple[Any, ...]]:
    """Run `statement` (built once) with `values` on `connection`, compiled once where it
    can be, else as usual."""
    assert isinstance(statement, ClauseElement)
    prepared = compiled(statement, connection.dialect)
    if prepared is None:
        return connection.execute(statement, dict(values))
    return connection.exec_driver_sql(prepared.sql, prepared.parameters(values))
