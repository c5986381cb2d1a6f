"""The `okrbot` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.error import URLError

from slack_bolt.error import BoltError
from sqlalchemy.exc import OperationalError

from bot import cli_api, cli_import
from bot.cli_common import Cli, CommandError
from bot.cli_data import (
    _close_cycle,
    _delete_workspace,
    _export,
    _import,
    _jobs_list,
    _jobs_run,
    _rebuild_rollups,
    _upgrade,
)
from bot.cli_serve import _demo, _sandbox, _scheduler, _sender, _serve
from bot.clock import Clock
from bot.domain.schedule import Job
from bot.settings import SettingsError, load_settings

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="okrbot", description="Effort and results on one scoreboard, in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serving_commands(commands)
    _data_commands(commands)
    return parser


def _serving_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`serve`, `scheduler`, `run`, `sandbox`, `demo` and `jobs`."""
    serve = commands.add_parser(
        "serve", help="run the Slack app (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)"
    )
    serve.add_argument("--threads", type=int, default=8, help="HTTP worker threads (default 8)")
    serve.add_argument(
        "--no-scheduler", action="store_true", help="don't run scheduled jobs in this process"
    )
    commands.add_parser("scheduler", help="run only the scheduled jobs (no HTTP)")
    commands.add_parser(
        "sender", help="help send planned messages, beside `serve` (PostgreSQL; no HTTP)"
    )
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


def _data_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`db`, `import`, `cycle`, `rollups` and `export`."""
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
    rollups = commands.add_parser(
        "rollups", help="daily and monthly points totals behind boards and /points"
    )
    rollup_commands = rollups.add_subparsers(dest="rollups_command", required=True, metavar="TASK")
    rebuild = rollup_commands.add_parser(
        "rebuild",
        help="recompute them from the points ledger (a repair; okrbot keeps them in step)",
    )
    rebuild.add_argument(
        "workspace", nargs="?", help="the Slack team id, e.g. T0123ABCD (default: every workspace)"
    )
    cli_api.add_commands(commands)
    cli_api.add_webhook_commands(commands)
    cli_api.add_hook_commands(commands)
    cli_import.add_command(commands)
    workspace = commands.add_parser("workspace", help="a workspace's data as a whole")
    workspace_commands = workspace.add_subparsers(
        dest="workspace_command", required=True, metavar="TASK"
    )
    deleter = workspace_commands.add_parser(
        "delete", help="delete everything okrbot holds for a workspace, and its installation"
    )
    deleter.add_argument("workspace", help="the Slack team id, e.g. T0123ABCD")
    deleter.add_argument("--now", action="store_true", help="confirm: delete it now, for good")
    exporter = commands.add_parser("export", help="write a workspace's current setup as a playbook")
    exporter.add_argument(
        "workspace", nargs="?", help="the Slack team id, e.g. T0123ABCD (optional with one)"
    )
    exporter.add_argument(
        "-o", "--output", type=Path, help="file to write (default: standard output)"
    )
    exporter.add_argument(
        "--csv",
        type=Path,
        metavar="DIR",
        help="write its data instead: activities, points, objectives, key results and "
        "check-ins, one CSV file each",
    )


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """Run the command line; return the exit status. `clock` replaces the system's."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        _dispatch(Cli(settings, clock), args)
    except (SettingsError, CommandError) as error:
        print(f"okrbot: {error}", file=sys.stderr)
        return USAGE_ERROR
    except BoltError as error:
        print(
            f"okrbot: Slack refused the bot token ({error}); check SLACK_BOT_TOKEN (see app.yaml and README).",
            file=sys.stderr,
        )
        return USAGE_ERROR
    except URLError as error:  # Slack (auth.test at start) could not be reached at all
        where = settings.slack_api_url
        print(
            f"okrbot: cannot reach Slack at {where} ({error.reason}); check this machine's "
            "network, proxy (HTTPS_PROXY) and firewall, or SLACK_API_URL if you set it.",
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


def _dispatch(cli: Cli, args: argparse.Namespace) -> None:
    """Run the command `args` names."""
    settings = cli.settings
    if args.command == "run":
        if settings.slack_bot_token or settings.slack_app_token or settings.oauth:
            _serve(settings, 8, True)
        else:
            _sandbox(cli, None)
    elif args.command == "sandbox":
        _sandbox(cli, args.port)
    elif args.command == "demo":
        _demo(cli)
    elif args.command == "serve":
        _serve(settings, args.threads, not args.no_scheduler)
    elif args.command == "scheduler":
        _scheduler(settings)
    elif args.command == "sender":
        _sender(settings)
    elif args.command == "jobs" and args.jobs_command == "list":
        _jobs_list(cli)
    elif args.command == "jobs":
        _jobs_run(cli, args.job, args.team, args.workspace)
    elif args.command == "db":
        _upgrade(cli)
    elif args.command == "import":
        _import(cli, args.playbook)
    elif args.command == "cycle":
        _close_cycle(cli, args.target, args.early)
    elif args.command == "export" and args.csv is not None:
        cli_api.export_csv(cli, args.workspace, args.csv)
    elif args.command == "export":
        _export(cli, args.workspace, args.output)
    elif args.command == "rollups":
        _rebuild_rollups(cli, args.workspace)
    elif args.command == "api-token":
        cli_api.run(cli, args)
    elif args.command == "webhook":
        cli_api.run_webhooks(cli, args)
    elif args.command == "hooks":
        cli_api.run_hooks(cli, args)
    elif args.command == "import-okrs":
        cli_import.run(cli, args)
    elif args.command == "workspace":
        _delete_workspace(cli, args.workspace, args.now)
