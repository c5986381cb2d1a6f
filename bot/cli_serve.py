"""`okrbot` commands that serve: the app, the scheduler, the sandbox and its demo."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import Runtime
from bot.cli_common import Cli, CommandError, log
from bot.settings import Settings, require_slack


def _scheduler(settings: Settings) -> None:
    from bot.app import build_runtime, build_scheduler
    from storage.migrate import upgrade

    require_slack(settings, receive=False)
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    build_scheduler(runtime).run_forever()


def _sender(settings: Settings) -> None:
    from bot.app import build_runtime, build_scheduler
    from storage.migrate import upgrade

    require_slack(settings, receive=False)
    if not settings.database_url.startswith("postgresql"):
        raise CommandError(
            "okrbot sender runs beside other processes, which needs PostgreSQL (DATABASE_URL); "
            "with SQLite, `okrbot serve` sends everything itself."
        )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    build_scheduler(runtime).run_forever(planner=False)


SANDBOX_DATABASE = "sqlite:///okrbot-sandbox.db"


def _demo(cli: Cli, *, fresh: bool = True) -> None:
    settings = cli.settings
    """Load the demo into the sandbox's own database (emptied first when `fresh`), and never
    into the database DATABASE_URL names."""
    import os

    from bot.sandbox.demo import load_demo
    from storage.db import make_engine, normalise_url
    from storage.migrate import upgrade

    named = os.environ.get("DATABASE_URL")
    if named and normalise_url(named) != SANDBOX_DATABASE:
        raise CommandError(
            f"okrbot demo only loads into the sandbox's own database ({SANDBOX_DATABASE}), "
            f"never into DATABASE_URL ({named}). Unset DATABASE_URL, or run `okrbot sandbox`."
        )
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"okrbot-sandbox.db{suffix}").unlink(missing_ok=True)
    engine = make_engine(SANDBOX_DATABASE, settings.database_timeout)
    upgrade(engine)
    print("Loading the demo workspace and six weeks of activity...", file=sys.stderr, flush=True)
    logs = load_demo(engine, cli.clock)
    engine.dispose()
    print(f"Demo loaded: 15 people in 3 teams, 5 objectives, {logs} activities.", file=sys.stderr)


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), or a CommandError saying in one line why not and
    how to pick another port."""
    import errno

    from bot.workers import listening_socket

    try:
        return listening_socket(host, port)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on {host} is already in use (another okrbot, or another "
                f"program); pick a free one with PORT, e.g. `PORT={port + 1} make run`."
            ) from None
        if error.errno == errno.EACCES:
            raise CommandError(
                f"not allowed to listen on port {port}; ports below 1024 need privileges: "
                f"pick another with PORT, e.g. `PORT=3000 make run`."
            ) from None
        raise CommandError(
            f"cannot listen on {host}:{port} ({error.strerror}); check HOST and PORT."
        ) from None


def _sandbox(cli: Cli, port: int | None) -> None:
    settings = cli.settings
    """The local Slack sandbox, on its own database, with the demo on first start."""
    import dataclasses

    from bot.sandbox.page_app import make_app
    from bot.sandbox.server import build_sandbox

    port = port or settings.port
    sock = bound_socket("127.0.0.1", port)  # before anything is loaded: a busy port says so
    sandbox = build_sandbox(SANDBOX_DATABASE, cli.clock)
    if not sandbox.people():  # first start: the demo workspace
        from bot.sandbox.demo import load_demo

        print("Loading a demo workspace (first start)...", file=sys.stderr, flush=True)
        load_demo(sandbox.runtime.engine, cli.clock)
    runtime = sandbox.runtime
    sandbox.base_url = f"http://127.0.0.1:{port}"
    wsgi = make_app(sandbox)
    _serve_http(
        dataclasses.replace(runtime, wsgi=wsgi),
        dataclasses.replace(settings, host="127.0.0.1", port=port),
        8,
        sock,
        banner=f"okrbot sandbox: open http://127.0.0.1:{port}/ (a local Slack; put real Slack "
        "credentials in .env to run okrbot in your workspace instead)",
    )


def _serve(settings: Settings, threads: int, scheduler: bool) -> None:
    """Serve Slack and the API: WEB_CONCURRENCY processes on PostgreSQL over HTTP; one
    process on SQLite (one writer) and over Socket Mode (one connection to Slack)."""
    require_slack(settings)
    processes = settings.web_concurrency
    single = settings.socket_mode or not settings.database_url.startswith("postgres")
    if single or processes == 1:
        if processes > 1:
            log.info(
                "serving with one process: %s", "Socket Mode" if settings.socket_mode else "SQLite"
            )
        _serve_one(settings, threads, scheduler)
        return
    from bot.workers import run_workers
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(settings.database_url, settings.database_timeout)
    applied = upgrade(engine)  # once, before any worker starts
    engine.dispose()
    if applied:
        log.info("applied migrations %s", ", ".join(applied))
    sock = bound_socket(settings.host, settings.port)
    log.info("okrbot listening on http://%s:%s/slack/events", settings.host, sock.getsockname()[1])
    unclean = run_workers(
        processes,
        sock,
        lambda shared: _serve_one(settings, threads, scheduler, shared),
        settings.shutdown_grace,
    )
    if unclean:
        raise CommandError(
            f"{unclean} worker process(es) failed or stopped with work unfinished: the log says why."
        )


def _serve_one(
    settings: Settings, threads: int, scheduler: bool, sock: socket.socket | None = None
) -> None:
    from bot.app import build_runtime, build_scheduler
    from storage.migrate import upgrade

    worker = sock is not None  # one of several on the parent's socket, which migrated
    if sock is None and not settings.socket_mode:
        sock = bound_socket(settings.host, settings.port)  # before the app: a busy port says so
    runtime = build_runtime(settings)
    if not worker:
        applied = upgrade(runtime.engine)
        if applied:
            log.info("applied migrations %s", ", ".join(applied))
    if scheduler:  # on PostgreSQL every replica also helps send what the leader plans
        build_scheduler(runtime).start(sender=runtime.engine.dialect.name == "postgresql")
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("okrbot connecting to Slack over Socket Mode")
        SocketModeHandler(runtime.bolt, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        return
    assert sock is not None
    _serve_http(runtime, settings, threads, sock, worker=worker)


def _serve_http(
    runtime: Runtime,
    settings: Settings,
    threads: int,
    sock: socket.socket,
    *,
    banner: str | None = None,
    worker: bool = False,
) -> None:
    """Serve on `sock` until SIGTERM or SIGINT; then stop taking requests and finish, within
    the grace period, every request already taken and every task acknowledged to Slack."""
    import os
    import signal
    import threading
    import time

    import waitress
    from waitress import wasyncore

    server: Any = waitress.create_server(  # type: ignore[attr-defined]
        runtime.wsgi, threads=threads, ident="okrbot", sockets=[sock]
    )
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        log.info("received %s: finishing what was accepted", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if banner:
        print(banner, flush=True)  # once it can be opened
    elif worker:
        log.info("okrbot worker %d ready", os.getpid())
    else:
        port = sock.getsockname()[1]
        log.info("okrbot listening on http://%s:%s/slack/events", settings.host, port)
    while not stopping.is_set():
        wasyncore.loop(timeout=0.2, map=server._map, count=1)
    server.accept_connections = lambda: None  # no new connections from here on
    server.del_channel()
    server.socket.close()
    deadline = time.monotonic() + settings.shutdown_grace
    dispatcher = server.task_dispatcher

    def requests_in_flight() -> bool:
        return bool(dispatcher.active_count or dispatcher.queue)

    while time.monotonic() < deadline and requests_in_flight():
        wasyncore.loop(timeout=0.05, map=server._map, count=1)
    for _ in range(20):  # write out the last responses
        wasyncore.loop(timeout=0.01, map=server._map, count=1)
    finished = runtime.pool.drain(max(0.0, deadline - time.monotonic()))
    dispatcher.shutdown(cancel_pending=False, timeout=1)
    if finished and not requests_in_flight():
        log.info("okrbot stopped: everything accepted was finished")
    else:
        log.warning("okrbot stopped after %g s with work unfinished", settings.shutdown_grace)
