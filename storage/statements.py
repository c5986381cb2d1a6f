"""Statements and helpers the repositories and the write paths share."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Insert, Select, Table, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import (
    Base,
    Member,
    Workspace,
)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, for statements that bypass the ORM."""
    return cast(Table, model.__table__)


def insert_ignoring_conflicts(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT a row unless it would break a unique constraint; True when a row was added."""
    connection = session.connection()
    statement = insert_unless_present(connection.dialect.name, table_of(model))
    # RETURNING tells reliably whether a row went in; rowcount is not reported by every driver.
    return connection.execute(statement, values).first() is not None


@cache
def insert_unless_present(dialect: str, table: Table) -> Insert:
    """The statement behind insert_ignoring_conflicts, built once per table."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(literal(1))


def new_config_version() -> int:
    """A fresh, random version for a workspace's configuration (see Workspace.config_version)."""
    return secrets.randbelow(2**31 - 1) + 1


def locked_config_version(connection: Connection, workspace_id: str, user_id: str) -> int | None:
    """Lock the member's row (see PeopleQueries.lock_member); the workspace's config version,
    or None when the member or the workspace is not known."""
    statement = lock_member_statement(connection.dialect.name)
    values = {"workspace": workspace_id, "user": user_id}
    row = connection.execute(statement, values).first()
    return None if row is None else int(row[0])


@cache
def lock_member_statement(dialect: str, *, whole_transaction: bool = False) -> Select[Any]:
    """The workspace's config version, locking the member's row (see lock_member). On
    PostgreSQL it also lets the rest of the transaction use generic plans (`set_config`,
    local to the transaction, in the same round trip): a write path's statements have one
    shape and similar values, and replanning them on every run costs more than running them.
    Connections otherwise plan every statement for its own values (storage.db). Not for a
    part of a statement that is its `whole_transaction`: nothing would come after it."""
    columns: list[Any] = [Workspace.config_version]
    if dialect == "postgresql" and not whole_transaction:
        columns.append(func.set_config("plan_cache_mode", "auto", True))
    return (
        select(*columns)
        .join(Member, Member.workspace_id == Workspace.id)
        .where(Member.workspace_id == bindparam("workspace"), Member.user_id == bindparam("user"))
        .with_for_update(of=Member.__table__)
        # The workspace row is shared-locked too, so an import that changes the workspace (its
        # timezone, which decides the rollups' days) waits for logs in flight, and later logs
        # wait for it and then read its new version. SQLite writes one transaction at a time.
        .suffix_with("FOR SHARE OF workspaces", dialect="postgresql")
    )
