"""/healthz answers within its wait even when the database hangs, and never piles up threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.web import HealthCheck, make_wsgi_app
from storage.db import make_engine
from tests.conftest import PG_URL


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


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL not configured (TEST_DATABASE_URL)")
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
