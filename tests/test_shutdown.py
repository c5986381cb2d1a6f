"""`okrbot serve` stopped with SIGTERM under load loses no acknowledged command, and the worker
pool behind the acknowledgements is bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.pool import BoundedPool
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers.listen import capacity
from storage.db import make_engine
from storage.models import ActivityLog
from tests.conftest import NO_POSTGRES, PG_URL, SETTING_NAMES, SIGNING_SECRET, Server

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgresql, 2 processes"])
def served_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite (one process), or a PostgreSQL database of its own served by two processes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'serve.db'}"
        return
    if not PG_URL:
        pytest.skip(NO_POSTGRES)
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS okrbot_serve_test"))
        connection.execute(text("CREATE DATABASE okrbot_serve_test"))
    url = make_url(PG_URL).set(database="okrbot_serve_test").render_as_string(False)
    yield url
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS okrbot_serve_test WITH (FORCE)"))
    admin.dispose()


def serve_env(database: str, slack_api: str, port: int) -> dict[str, str]:
    """`okrbot serve`'s environment: two workers (on PostgreSQL), none of the caller's settings."""
    env = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database,
            "WEB_CONCURRENCY": "2",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api,
            "PORT": str(port),
            "HOST": "127.0.0.1",
        }
    )
    return env


def test_sigterm_under_load_loses_no_acknowledged_command(
    tmp_path: Path, fake_slack: FakeSlack, served_database: str
) -> None:
    port = free_port()
    env = serve_env(served_database, fake_slack.api_url, port)
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:  # ready once it says where it listens
            if "listening on" in line:
                break
        slack = SlackSender(
            base_url=f"http://127.0.0.1:{port}",
            secret=SIGNING_SECRET,
            response_url=fake_slack.response_url(),
        )
        acked: list[str] = []
        refused: list[str] = []
        first_ack = threading.Event()

        def send(number: int) -> None:
            try:
                answer = slack.command("/log", f"call 1 request {number}", user=f"U{number:04d}")
            except OSError:
                refused.append(str(number))  # never acknowledged: Slack shows the user an error
                return
            if answer.status == 200 and "Logged" in answer.body:
                acked.append(f"request {number}")
                first_ack.set()
            else:
                refused.append(str(number))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(REQUESTS)]
        for thread in threads[: REQUESTS // 2]:
            thread.start()
        assert first_ack.wait(timeout=30)
        server.send_signal(signal.SIGTERM)
        for thread in threads[REQUESTS // 2 :]:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        status = server.wait(timeout=30)
        rest = server.stderr.read()
        assert status == 0, rest
    finally:
        if server.poll() is None:
            server.kill()
    engine = make_engine(served_database)
    with engine.connect() as connection:
        stored = set(connection.scalars(select(ActivityLog.note)))
        count = connection.scalar(select(func.count()).select_from(ActivityLog))
    engine.dispose()
    assert acked, "some commands were acknowledged before the signal"
    assert set(acked) <= stored  # every acknowledged /log was stored before its ack
    assert count == len(stored) == len(acked)  # and nothing unacknowledged was half done
    if served_database.startswith("sqlite"):
        assert "everything accepted was finished" in rest  # SQLite: one process, one writer
    else:
        # Each worker that got to serve drained; one still starting at SIGTERM had nothing
        # to drain, and stopping it is no failure (the exit status above).
        ready = rest.count(" ready\n")
        assert ready >= 1
        assert rest.count("everything accepted was finished") == ready


def test_a_full_pool_takes_nothing_more_and_drains_what_it_took() -> None:
    pool = BoundedPool(workers=1, queue=1)
    release = threading.Event()
    done: list[int] = []

    def job(number: int) -> None:
        release.wait(timeout=10)
        done.append(number)

    taken = [pool.submit(job, 1), pool.submit(job, 2)]
    assert not pool.has_room()
    dropped = pool.submit(job, 3)
    assert dropped.cancelled()
    release.set()
    assert pool.drain(grace=10)
    assert sorted(done) == [1, 2]
    assert all(future.done() for future in taken)


def test_when_the_pool_is_full_a_form_command_says_to_try_again(
    slack: SlackSender, fake_slack: FakeSlack, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capacity, "has_room", lambda: False)
    answer = slack.command("/log", "")
    assert "okrbot is very busy right now and did nothing" in answer.json()["text"]
    assert server.runtime.pool.wait_idle(timeout=10)
    assert fake_slack.calls_to("views.open") == []  # told to retry: nothing done behind it


def test_workers_that_fail_as_they_start_stop_okrbot_instead_of_restarting_forever(
    tmp_path: Path, served_database: str
) -> None:
    if served_database.startswith("sqlite"):
        pytest.skip("several processes serve PostgreSQL only")
    nothing_answers = f"http://127.0.0.1:{free_port()}/api/"
    env = serve_env(served_database, nothing_answers, free_port())
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "failed while starting: stopping okrbot" in done.stderr
    assert "the log says why" in done.stderr


WORKERS_STILL_STARTING = """
import os, sys, time
from bot.workers import listening_socket, run_workers

def work(_sock):
    os.write(1, b"starting\\n")  # one write: the two workers' lines never interleave
    time.sleep(60)  # still starting: no SIGTERM handler of its own yet, nothing accepted

sys.exit(run_workers(2, listening_socket("127.0.0.1", 0), work, grace=5))
"""


# The parent pauses after each fork, before it has noted the new worker: the window in
# which a stop used to miss the worker being started.
SLOW_TO_NOTE_A_WORKER = """
import os, time
_fork = os.fork

def fork():
    pid = _fork()
    if pid:
        time.sleep(0.5)
    return pid

os.fork = fork
"""


@pytest.mark.parametrize("slow_parent", [False, True])
def test_workers_told_to_stop_while_still_starting_are_a_clean_stop(
    tmp_path: Path, slow_parent: bool
) -> None:
    """SIGTERM can reach a worker before its server (and the handler that drains it) is up.
    It dies of the signal having accepted nothing: okrbot stops cleanly, not with an error.
    A stop that arrives while the parent is still starting a worker reaches that worker too."""
    script = SLOW_TO_NOTE_A_WORKER * slow_parent + WORKERS_STILL_STARTING
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        assert [parent.stdout.readline() for _ in range(2)] == ["starting\n"] * 2
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == 0  # no worker counted as failed
    finally:
        if parent.poll() is None:
            parent.kill()
