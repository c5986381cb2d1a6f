"""The `okrbot` command line."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt.error import BoltError
from sqlalchemy.exc import OperationalError

from bot.clock import Clock, SystemClock
from bot.domain.schedule import Job

if TYPE_CHECKING:
    from bot.app import Runtime
from bot.settings import Settings, SettingsError, load_settings, require_slack

USAGE_ERROR = 2
log = logging.getLogger("okrbot")


class _ClockHolder:
    """The clock every command uses: the system's, or the one `main` is given (tests)."""

    now_source: Clock = SystemClock()


_clock = _ClockHolder()


class CommandError(Exception):
    """A problem the person running the command can fix; printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="okrbot", description="Effort and results on one scoreboard, in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)"
    )
    serve.add_argument("--threads", type=int, default=8, help="HTTP worker threads (default 8)")
    serve.add_argument(
        "--no-scheduler", action="store_true", help="don't run scheduled jobs in this process"
    )
    commands.add_parser("scheduler", help="run only the scheduled jobs (no HTTP)")
    commands.add_parser(
        "run", help="serve with the Slack credentials in .env, or the local sandbox without them"
    )
    sandbox = commands.add_parser(
        "sandbox", help="try okrbot in a local Slack in the browser (no Slack workspace needed)"
    )
    sandbox.add_argument("--port", type=int, help="port for the page (default $PORT, 3000)")
    commands.add_parser("demo", help="load the demo workspace into the sandbox's database")
    jobs = commands.add_parser("jobs", help="scheduled jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="TASK")
    job_commands.add_parser("list", help="show the jobs and their next run times")
    runner = job_commands.add_parser("run", help="send a job now to everyone its next run reaches")
    runner.add_argument("job", choices=[job.value for job in Job], help="the job to run")
    runner.add_argument("--team", help="only this team (by name)")
    runner.add_argument("--workspace", help="only this workspace (Slack team id)")
    db = commands.add_parser("db", help="database tasks")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="TASK")
    db_commands.add_parser("upgrade", help="apply pending migrations")
    importer = commands.add_parser(
        "import", help="load or update a workspace's setup from a playbook YAML file"
    )
    importer.add_argument("playbook", type=Path, help="path to the playbook, e.g. playbook.yaml")
    cycle = commands.add_parser("cycle", help="OKR cycles")
    cycle_commands = cycle.add_subparsers(dest="cycle_command", required=True, metavar="TASK")
    closer = cycle_commands.add_parser("close", help="score every key result and close the cycle")
    closer.add_argument(
        "target",
        nargs="*",
        metavar="[WORKSPACE] [CYCLE]",
        help="the Slack team id (optional with one workspace) and the cycle, e.g. 2026-Q4 "
        "(default: the current one)",
    )
    closer.add_argument(
        "--early", action="store_true", help="close a cycle before its last day (asks otherwise)"
    )
    rollups = commands.add_parser("rollups", help="daily points totals behind boards and /points")
    rollup_commands = rollups.add_subparsers(dest="rollups_command", required=True, metavar="TASK")
    rebuild = rollup_commands.add_parser(
        "rebuild",
        help="recompute them from the points ledger (a repair; okrbot keeps them in step)",
    )
    rebuild.add_argument(
        "workspace", nargs="?", help="the Slack team id, e.g. T0123ABCD (default: every workspace)"
    )
    exporter = commands.add_parser("export", help="write a workspace's current setup as a playbook")
    exporter.add_argument(
        "workspace", nargs="?", help="the Slack team id, e.g. T0123ABCD (optional with one)"
    )
    exporter.add_argument(
        "-o", "--output", type=Path, help="file to write (default: standard output)"
    )
    return parser


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.db import make_engine

    return make_engine(settings.database_url, settings.database_timeout)


TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")


def _which_workspace(settings: Settings, given: str | None, example: str) -> str:
    """`given`, or the only workspace in the database; CommandError listing them otherwise."""
    if given:
        return given
    from bot.app import build_services
    from storage.migrate import upgrade

    engine = _engine(settings)
    upgrade(engine)
    known = build_services(engine, _clock.now_source).setup.workspaces()
    if len(known) == 1:
        return known[0]
    if not known:
        raise CommandError("No workspaces yet: import a playbook or use okrbot in Slack first.")
    raise CommandError(
        f"This database holds {len(known)} workspaces ({', '.join(known)}); say which, "
        f"e.g. `okrbot {example.format(workspace=known[0])}`."
    )


def _upgrade(settings: Settings) -> None:
    from storage.migrate import upgrade

    applied = upgrade(_engine(settings))
    if applied:
        print(f"Database migrated: applied {', '.join(applied)}.", file=sys.stderr)
    else:
        print("Database is up to date.", file=sys.stderr)


def _import(settings: Settings, path: Path) -> None:
    from bot.app import build_services
    from bot.domain.errors import UserError
    from bot.playbook import PlaybookError, read_playbook
    from storage.migrate import upgrade

    try:
        playbook = read_playbook(path)
    except PlaybookError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise CommandError(
            f"{path} has {len(error.problems)} problem(s); nothing was imported."
        ) from error
    engine = _engine(settings)
    upgrade(engine)
    try:
        report = build_services(engine, _clock.now_source).setup.import_playbook(playbook)
    except UserError as error:
        raise CommandError(f"{path}: {error.message}; nothing was imported.") from error
    for line in report.lines():
        print(line)


def _export(settings: Settings, given: str | None, output: Path | None) -> None:
    import yaml

    from bot.app import build_services
    from bot.domain.errors import UserError
    from storage.migrate import upgrade

    workspace = _which_workspace(settings, given, "export {workspace}")
    engine = _engine(settings)
    upgrade(engine)
    try:
        document = build_services(engine, _clock.now_source).setup.export(workspace)
    except UserError as error:
        raise CommandError(error.message) from error
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {workspace}'s setup to {output}.", file=sys.stderr)


def _close_cycle(settings: Settings, target: list[str], early: bool) -> None:
    from bot.app import build_services
    from bot.domain.errors import UserError
    from bot.services.cycles import CloseNeedsConfirmation
    from storage.migrate import upgrade

    if len(target) > 2:
        raise CommandError(
            "Give at most a workspace and a cycle, e.g. `cycle close T0001 2026-Q4`."
        )
    engine = _engine(settings)
    upgrade(engine)
    known = build_services(engine, _clock.now_source).setup.workspaces()
    # The first word is the workspace when it names one (or looks like one, with a cycle after).
    first_is_workspace = bool(target) and (
        target[0] in known or (len(target) == 2 and bool(TEAM_ID.match(target[0])))
    )
    given = target[0] if first_is_workspace else None
    name = target[-1] if target and not (first_is_workspace and len(target) == 1) else None
    workspace = _which_workspace(settings, given, "cycle close {workspace}")
    try:
        report = build_services(engine, _clock.now_source).okrs.close_cycle(
            workspace, name, early=early
        )
    except CloseNeedsConfirmation as error:
        raise CommandError(
            f"{error.message.removesuffix('confirm to close it anyway.')}"
            "add --early to close it anyway."
        ) from error
    except UserError as error:
        raise CommandError(error.message) from error
    for ref, title, final in report.scores:
        print(f"{ref:>6}  {final:.2f}  {title}")
    early_note = f", {report.days_early} day(s) before its end," if report.days_early else ""
    print(
        f"{report.name} closed{early_note} with {len(report.scores)} key result(s) scored. "
        "Owners can change a score within 7 days: /okr score K<n> <0-1> <reason>."
    )


def _rebuild_rollups(settings: Settings, given: str | None) -> None:
    from bot.app import build_services
    from storage.migrate import upgrade

    engine = _engine(settings)
    upgrade(engine)
    setup = build_services(engine, _clock.now_source).setup
    known = setup.workspaces()
    if given is not None and given not in known:
        listed = ", ".join(known) or "none yet"
        raise CommandError(f"No workspace {given} in this database (workspaces: {listed}).")
    for workspace in [given] if given else known:
        print(f"{workspace}: rebuilding…", file=sys.stderr, flush=True)

        def progress(count: int, workspace: str = workspace) -> None:
            print(f"{workspace}: {count:,} ledger entries read…", file=sys.stderr, flush=True)

        read, days = setup.rebuild_rollups(workspace, progress)
        print(f"{workspace}: {read:,} ledger entries into {days:,} member-days.")


def _jobs_list(settings: Settings) -> None:
    from bot.app import build_services
    from bot.domain.periods import zone
    from storage.migrate import upgrade

    engine = _engine(settings)
    upgrade(engine)
    infos = build_services(engine, _clock.now_source).scheduler.jobs()
    if not infos:
        print("No workspaces yet: import a playbook or use okrbot in Slack first.")
    for info in infos:
        when = "not scheduled"
        if info.next_run:
            local = info.next_run.astimezone(zone(info.timezone))
            when = f"{local:%a %Y-%m-%d %H:%M} {info.timezone} ({info.next_run:%H:%M} UTC)"
        print(
            f"{info.workspace}  {info.job.value:<17} {info.schedule:<22} ({info.basis})  "
            f"next: {when}, {info.recipients} recipient(s)"
        )


def _jobs_run(settings: Settings, job: str, team: str | None, workspace: str | None) -> None:
    from bot.app import build_services, slack_client
    from storage.migrate import upgrade

    require_slack(settings, receive=False)
    workspace = _which_workspace(settings, workspace, f"jobs run {job} --workspace {{workspace}}")
    engine = _engine(settings)
    upgrade(engine)
    grace = timedelta(hours=settings.scheduler_grace_hours)
    services = build_services(engine, _clock.now_source, slack_client(settings), grace=grace)
    if team is not None:
        names = services.setup.team_names(workspace)
        if team.casefold() not in {name.casefold() for name in names}:
            listing = ", ".join(names) if names else "none yet (add teams in the playbook)"
            raise CommandError(f"{workspace} has no team named {team!r}. Teams: {listing}.")
    print(f"Running {job}{f' for {team}' if team else ''}...", file=sys.stderr, flush=True)
    report = services.scheduler.run_job(Job(job), team, workspace)
    print(f"{job}: {report.line()}")
    for error in report.errors:
        print(f"  {error}", file=sys.stderr)


def _scheduler(settings: Settings) -> None:
    from bot.app import build_runtime, build_scheduler
    from storage.migrate import upgrade

    require_slack(settings, receive=False)
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    build_scheduler(runtime).run_forever()


SANDBOX_DATABASE = "sqlite:///okrbot-sandbox.db"


def _demo(settings: Settings, *, fresh: bool = True) -> None:
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
    logs = load_demo(engine, _clock.now_source)
    engine.dispose()
    print(f"Demo loaded: 15 people in 3 teams, 5 objectives, {logs} activities.", file=sys.stderr)


def _sandbox(settings: Settings, port: int | None) -> None:
    """The local Slack sandbox, on its own database, with the demo on first start."""
    import dataclasses

    from bot.sandbox.server import build_sandbox, make_app

    sandbox = build_sandbox(SANDBOX_DATABASE, _clock.now_source)
    if not sandbox.people():  # first start: the demo workspace
        from bot.sandbox.demo import load_demo

        print("Loading a demo workspace (first start)...", file=sys.stderr, flush=True)
        load_demo(sandbox.runtime.engine, _clock.now_source)
    port = port or settings.port
    runtime = sandbox.runtime
    sandbox.base_url = f"http://127.0.0.1:{port}"
    wsgi = make_app(sandbox)
    _serve_http(
        dataclasses.replace(runtime, wsgi=wsgi),
        dataclasses.replace(settings, host="127.0.0.1", port=port),
        8,
        banner=f"okrbot sandbox: open http://127.0.0.1:{port}/ (a local Slack; put real Slack "
        "credentials in .env to run okrbot in your workspace instead)",
    )


def _serve(settings: Settings, threads: int, scheduler: bool) -> None:
    from bot.app import build_runtime, build_scheduler
    from storage.migrate import upgrade

    require_slack(settings)
    runtime = build_runtime(settings)
    applied = upgrade(runtime.engine)
    if applied:
        log.info("applied migrations %s", ", ".join(applied))
    if scheduler:
        build_scheduler(runtime).start()
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("okrbot connecting to Slack over Socket Mode")
        SocketModeHandler(runtime.bolt, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
        return
    _serve_http(runtime, settings, threads)


def _serve_http(
    runtime: Runtime, settings: Settings, threads: int, banner: str | None = None
) -> None:
    """Serve until SIGTERM or SIGINT; then stop taking requests and finish, within the grace
    period, every request already taken and every task acknowledged to Slack."""
    import signal
    import threading
    import time

    import waitress
    from waitress import wasyncore

    server: Any = waitress.create_server(  # type: ignore[attr-defined]
        runtime.wsgi, host=settings.host, port=settings.port, threads=threads, ident="okrbot"
    )
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        log.info("received %s: finishing what was accepted", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if banner:
        print(banner, flush=True)  # once it can be opened
    else:
        log.info(
            "okrbot listening on http://%s:%s/slack/events", settings.host, server.effective_port
        )
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


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """Run the command line; return the exit status. `clock` replaces the system's."""
    _clock.now_source = clock or SystemClock()
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if args.command == "run":
            if settings.slack_bot_token or settings.slack_app_token:
                _serve(settings, 8, True)
            else:
                _sandbox(settings, None)
        elif args.command == "sandbox":
            _sandbox(settings, args.port)
        elif args.command == "demo":
            _demo(settings)
        elif args.command == "serve":
            _serve(settings, args.threads, not args.no_scheduler)
        elif args.command == "scheduler":
            _scheduler(settings)
        elif args.command == "jobs" and args.jobs_command == "list":
            _jobs_list(settings)
        elif args.command == "jobs":
            _jobs_run(settings, args.job, args.team, args.workspace)
        elif args.command == "db":
            _upgrade(settings)
        elif args.command == "import":
            _import(settings, args.playbook)
        elif args.command == "cycle":
            _close_cycle(settings, args.target, args.early)
        elif args.command == "export":
            _export(settings, args.workspace, args.output)
        elif args.command == "rollups":
            _rebuild_rollups(settings, args.workspace)
    except (SettingsError, CommandError) as error:
        print(f"okrbot: {error}", file=sys.stderr)
        return USAGE_ERROR
    except BoltError as error:
        print(
            f"okrbot: Slack refused the bot token ({error}); check SLACK_BOT_TOKEN (see app.yaml and README).",
            file=sys.stderr,
        )
        return USAGE_ERROR
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        print(f"okrbot: cannot use the database ({reason}); check DATABASE_URL.", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 0
    return 0
