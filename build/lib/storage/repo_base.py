"""The base of a workspace's repository, and statements shared by its parts."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

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


class RepoBase:
    """What every part of a workspace's repository shares: its session and team id."""

    def __init__(self, session: Session, workspace_id: str, timezone: str | None = None) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self._timezone = timezone  # the workspace's, when the caller already knows it

    def flush(self) -> None:
        """Send pending changes to the database now, so later queries in the transaction see them."""
        self.session.flush()

    def reload(self, row: Base) -> None:
        """Read `row` again from the database (after a statement that changed it)."""
        self.session.refresh(row)

    def workspace(self) -> Workspace | None:
        return self.session.get(Workspace, self.workspace_id)

    def renew_config_version(self) -> None:
        """Mark the workspace's setup as changed, so every process reloads its cached copy."""
        workspace = self.workspace()
        assert workspace is not None
        workspace.config_version = new_config_version()

    def timezone(self) -> ZoneInfo:
        """The workspace's calendar: the days of its rollups. Once this transaction holds the
        workspace's share lock, the zone read with it."""
        known = self.session.info.get(("workspace timezone", self.workspace_id), self._timezone)
        if known is None:
            workspace = self.workspace()
            known = workspace.timezone if workspace is not None else "UTC"
        return ZoneInfo(known)

    def calendar(self) -> ZoneInfo:
        """The workspace's timezone read with its share lock, held until the transaction
        ends: an import that moves the workspace waits for this transaction, or this one
        reads the zone that import set (PostgreSQL)."""
        self._share_workspace()
        return self.timezone()

    def _note_shared(self) -> None:
        """Record that this transaction holds the workspace's share lock (taken by the
        statement that locked the member), so _share_workspace does not take it again."""
        self.session.info[("workspace shared", self.workspace_id)] = True

    def _share_workspace(self) -> None:
        """Share-lock the workspace row once per transaction before touching rollups, so a
        rebuild (which locks it exclusively) never runs beside a rollup write (PostgreSQL;
        SQLite writes one transaction at a time). The timezone is read with the lock: an
        import that moved the workspace while this transaction waited has committed by then,
        and a copy of the row read before the lock may hold the old zone."""
        key = ("workspace shared", self.workspace_id)
        if self.session.info.get(key) or self.session.get_bind().dialect.name != "postgresql":
            return
        query = select(Workspace.timezone).where(Workspace.id == self.workspace_id)
        zone = self.session.connection().execute(query.with_for_update(read=True)).scalar()
        self.session.info[key] = True
        if zone is not None:
            self.session.info[("workspace timezone", self.workspace_id)] = zone
