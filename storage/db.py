"""Engines, sessions and the unit of work."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    InvalidatePoolError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.errors import Busy
from storage.deadline_guard import DeadlinePool, guard
from storage.models import ApiToken, ScheduledSend, WebhookDelivery, WebhookSubscription
from storage.okrs.okr_repository import OkrRepo
from storage.repository import (
    WorkspaceRepo,
    claim_planned,
    claim_webhooks,
    find_api_token,
    finish_webhook,
    forget_oauth_states,
    prune_processed_events,
    take_api_request,
    uninstalled_before,
    workspace_ids,
)
from storage.schedule.schedule_repository import ScheduleRepo
from storage.single_statement import offer


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` and `postgres://` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# A pooled connection idle for longer than this is checked before use; one in steady use
# is not (a check is a round trip, as costly as a small statement).
IDLE_CHECK_SECONDS = 5.0


def make_engine(
    url: str,
    timeout: float = 10.0,
    plan_cache_mode: str | None = "force_custom_plan",
    idle_check: float = IDLE_CHECK_SECONDS,
    **kwargs: Any,
) -> Engine:
    """Create an engine whose statements give up after `timeout` seconds (connecting, after
    at most 5), and whose pooled connections are checked before use once they have been idle
    for `idle_check` seconds, so a restarted database is picked up. SQLite gets WAL, a busy
    timeout and write-locking transactions."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("pool_use_lifo", True)  # the idle stay idle, and are checked when used
        kwargs.setdefault("pool_timeout", timeout)
        kwargs.setdefault("poolclass", DeadlinePool)
        # psycopg prepares a statement on the server after five runs, and PostgreSQL may then
        # keep a generic plan that ignores the parameters (a quarter board planned as if for
        # any period): every run is planned for its own values instead. Write paths that lock
        # a member opt into generic plans for their transaction (statements.locked_config_version).
        options = f"-c statement_timeout={int(timeout * 1000)}"
        if plan_cache_mode is not None:
            options += f" -c plan_cache_mode={plan_cache_mode}"
        connect_args = {"connect_timeout": max(1, min(5, round(timeout / 2))), "options": options}
        engine = guard(
            _checked_when_idle(create_engine(url, connect_args=connect_args, **kwargs), idle_check)
        )
        if plan_cache_mode is not None and "isolation_level" not in kwargs:
            single = {"plan_cache_mode": None, "isolation_level": "AUTOCOMMIT", "max_overflow": 0}
            single["pool_reset_on_return"] = None  # in autocommit there is nothing to undo
            offer(
                engine, lambda: make_engine(url, timeout, idle_check=idle_check, **kwargs | single)
            )
        return engine
    if make_url(url).get_backend_name() != "sqlite":
        return _checked_when_idle(create_engine(url, **kwargs), idle_check)
    engine = guard(  # first: its begin listener sets the lock wait that BEGIN IMMEDIATE has
        create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout}, **kwargs)
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Take the write lock up front so a read-then-write transaction never fails to upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _checked_when_idle(engine: Engine, idle: float) -> Engine:
    """Check a pooled connection before it is handed out when it has been idle for more than
    `idle` seconds; when it is dead, the pool replaces it and every other connection it
    holds (the database restarted). A connection lost while in steady use fails its
    statement, and the pool then replaces its connections likewise."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned", -math.inf) <= idle:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:  # the database went away: the pool replaces this and every connection
            raise InvalidatePoolError("the database connection was lost")

    return engine


# PostgreSQL's serialization failure and deadlock: the transaction was rolled back, whole.
_GAVE_UP = frozenset({"40001", "40P01"})


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


class UnitOfWork:
    """One transaction. Nothing is kept unless `commit()` is called."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, and leaves loaded rows readable.
        self.session.close()
        if isinstance(exc, DBAPIError) and _sqlstate(exc) in _GAVE_UP:
            raise Busy("the database gave up this transaction; nothing was kept") from exc

    def commit(self) -> None:
        """Keep everything done in this unit of work."""
        self.session.commit()
        self.session.info.clear()  # locks noted by repositories ended with the transaction

    def repo(self, workspace_id: str, timezone: str | None = None) -> WorkspaceRepo:
        """The repository for one workspace: it can neither read nor change any other. Pass
        the workspace's `timezone` when it is known, to save reading it."""
        return WorkspaceRepo(self.session, workspace_id, timezone)

    def schedule(self, workspace_id: str) -> ScheduleRepo:
        """Scheduled-message claims and reactions of one workspace, in the same transaction."""
        return ScheduleRepo(self.session, workspace_id)

    def workspace_ids(self, *, active_only: bool = False) -> list[str]:
        """Every workspace's Slack team id (only those installed, with `active_only`)."""
        return workspace_ids(self.session, active_only=active_only)

    def uninstalled_before(self, cutoff: datetime) -> list[str]:
        """Workspaces uninstalled before `cutoff`, whose data is due for deletion."""
        return uninstalled_before(self.session, cutoff)

    def claim_planned(
        self, now: datetime, limit: int, planned_since: datetime
    ) -> list[ScheduledSend]:
        """Claim up to `limit` planned sends, across workspaces, for this sender to send;
        those planned before `planned_since` are skipped as too late."""
        return claim_planned(self.session, now, limit, planned_since)

    def find_api_token(self, token_hash: str) -> ApiToken | None:
        """The API token with this hash, whichever workspace it belongs to."""
        return find_api_token(self.session, token_hash)

    def take_api_request(self, token_id: int, now: float, rate: float, burst: float) -> float:
        """Take a request from the token's shared budget: 0, or the seconds to wait."""
        return take_api_request(self.session, token_id, now, rate, burst=burst)

    def claim_webhooks(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
        """Claim webhook deliveries due now, across workspaces, for this sender."""
        return claim_webhooks(self.session, now, limit, lease_until)

    def finish_webhook(self, delivery_id: int, **outcome: Any) -> None:
        """Record a delivery attempt and what follows it."""
        finish_webhook(self.session, delivery_id, **outcome)

    def forget_oauth_states(self, now: datetime) -> int:
        """Forget the OAuth install states that expired before `now`."""
        return forget_oauth_states(self.session, now)

    def forget_deliveries(self, before: datetime) -> int:
        """Forget the Slack deliveries received before `before`, in every workspace."""
        return prune_processed_events(self.session, before)

    def okrs(self, workspace_id: str) -> OkrRepo:
        """OKR data of one workspace, in the same transaction."""
        return OkrRepo(self.session, workspace_id)


UnitOfWorkFactory = Callable[[], UnitOfWork]


def unit_of_work_factory(engine: Engine) -> UnitOfWorkFactory:
    """A callable that starts a new unit of work on `engine`."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: UnitOfWork(factory)


def ping(engine: Engine) -> None:
    """Run a trivial query; raises if the database cannot be reached."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database could not be reached or did not answer in time
    (an outage, expected now and then), rather than a fault of okrbot's."""
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)
