"""/healthz answers within its wait even when the database hangs, and never piles up threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.web import HealthCheck, make_wsgi_app
from storage.db import make_engine
from tests.conftest import NO_POSTGRES, PG_URL


def call(app: Any, path: str = "/healthz") -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status: str, _headers: Any) -> None:
        seen["status"] = status

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return seen["status"], body


def test_a_hanging_database_gets_503_and_costs_one_background_thread_at_most() -> None:
    release = threading.Event()
    calls: list[int] = []

    def hangs() -> None:
        calls.append(1)
        release.wait()

    app = make_wsgi_app(lambda *_: [], HealthCheck(hangs, wait=0.05))
    try:
        assert call(app) == ("503 Service Unavailable", b'{"ok": false, "database": "unreachable"}')
        assert call(app)[0] == "503 Service Unavailable"  # answered at once: still hanging
        assert len(calls) == 1
    finally:
        release.set()


def test_probes_that_overlap_share_one_check() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_but_fine() -> None:
        calls.append(1)
        started.set()
        release.wait(timeout=10)

    waiting: list[int] = []

    def a_probe_waits() -> None:
        waiting.append(1)
        if len(waiting) == 2:  # both probes wait on the one check: let it answer
            release.set()

    app = make_wsgi_app(lambda *_: [], HealthCheck(slow_but_fine, wait=10, on_wait=a_probe_waits))
    statuses: list[str] = []
    first = threading.Thread(target=lambda: statuses.append(call(app)[0]))
    first.start()
    assert started.wait(timeout=10)
    second = threading.Thread(target=lambda: statuses.append(call(app)[0]))
    second.start()
    first.join(timeout=10)
    second.join(timeout=10)
    assert statuses == ["200 OK", "200 OK"]
    assert len(calls) == 1


def test_a_healthy_database_gets_200_and_a_failing_one_503() -> None:
    assert call(make_wsgi_app(lambda *_: [], HealthCheck(lambda: None)))[0] == "200 OK"

    def refuses() -> None:
        raise ConnectionRefusedError("no")

    assert call(make_wsgi_app(lambda *_: [], HealthCheck(refuses)))[0].startswith("503")


@pytest.mark.skipif(not PG_URL, reason=NO_POSTGRES)
def test_a_statement_that_runs_too_long_is_stopped_by_the_database() -> None:
    engine = make_engine(PG_URL, timeout=1)
    try:
        with (
            engine.connect() as connection,
            pytest.raises(OperationalError, match="statement timeout"),
        ):
            connection.execute(text("SELECT pg_sleep(3)"))
        with engine.connect() as connection:  # the pool still works afterwards
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()


def _pooled_backend(engine: Any) -> int:
    """The server process behind the pool's one connection, which is back in the pool."""
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def _end_backend(pid: int) -> None:
    """End one server process, as a database restart or an idle timeout would."""
    admin = make_engine(PG_URL)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason=NO_POSTGRES)
def test_a_pooled_connection_the_database_dropped_while_idle_is_replaced_unseen() -> None:
    engine = make_engine(PG_URL, idle_check=0, pool_size=1, max_overflow=0)
    try:
        dropped = _pooled_backend(engine)
        _end_backend(dropped)
        with engine.connect() as connection:  # checked on checkout, and replaced
            assert connection.scalar(text("SELECT pg_backend_pid()")) != dropped
    finally:
        engine.dispose()
    unchecked = make_engine(PG_URL, idle_check=3600, pool_size=1, max_overflow=0)
    try:  # the check is what saved the request above: without it the statement fails
        _end_backend(_pooled_backend(unchecked))
        with unchecked.connect() as connection, pytest.raises(OperationalError):
            connection.execute(text("SELECT 1"))
        with unchecked.connect() as connection:  # and the pool replaces it afterwards
            assert connection.scalar(text("SELECT 1")) == 1
    finally:
        unchecked.dispose()


@pytest.mark.skipif(not PG_URL, reason=NO_POSTGRES)
def test_a_connection_in_steady_use_is_not_checked_before_each_transaction() -> None:
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    checks: list[object] = []
    real_ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        checks.append(dbapi_connection)
        return real_ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        for _ in range(20):
            with engine.begin() as connection:
                connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert checks == []  # a check is a round trip: none for a connection just used
