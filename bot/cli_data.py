"""`okrbot` commands on a workspace's data: migrations, playbooks, cycles, rollups, jobs."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from bot.cli_common import TEAM_ID, Cli, CommandError
from bot.domain.schedule import Job
from bot.settings import require_slack


def _upgrade(cli: Cli) -> None:
    from storage.migrate import upgrade

    applied = upgrade(cli.unmigrated_engine())
    if applied:
        print(f"Database migrated: applied {', '.join(applied)}.", file=sys.stderr)
    else:
        print("Database is up to date.", file=sys.stderr)


def _import(cli: Cli, path: Path) -> None:
    from bot.domain.errors import UserError
    from bot.playbook import PlaybookError, read_playbook

    try:
        playbook = read_playbook(path)
    except PlaybookError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise CommandError(
            f"{path} has {len(error.problems)} problem(s); nothing was imported."
        ) from error
    if playbook.named and not (cli.settings.slack_bot_token or cli.settings.oauth):
        for _value, where in playbook.named:  # before any database is touched
            print(f"{where}: looked up in Slack", file=sys.stderr)
        raise CommandError(
            f"{path} names {len(playbook.named)} people or group(s) by email or user group, "
            "which okrbot looks up in Slack: set SLACK_BOT_TOKEN in .env (or install over "
            "OAuth) first, or use Slack ids; nothing was imported."
        )
    engine = cli.engine()
    edge = None
    if playbook.named:  # people by email, teams by user group: Slack says who they are
        edge = cli.slack()
    try:
        report = cli.services(edge).setup.import_playbook(playbook)
    except UserError as error:
        if error.field == "people":  # each on its line of the file
            lines = error.message.splitlines()
            for line in lines:
                print(line, file=sys.stderr)
            raise CommandError(
                f"{path} names {len(lines)} people or group(s) Slack does not know; "
                "nothing was imported."
            ) from error
        raise CommandError(f"{path}: {error.message}; nothing was imported.") from error
    for line in report.lines():
        print(line)
    where = engine.url.render_as_string(hide_password=True)
    told = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the default; set DATABASE_URL"
    print(f"Database: {where} ({told})", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _export(cli: Cli, given: str | None, output: Path | None) -> None:
    import yaml

    from bot.domain.errors import UserError

    workspace = cli.workspace(given, "export {workspace}")
    try:
        document = cli.services().setup.export(workspace)
    except UserError as error:
        raise CommandError(error.message) from error
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {workspace}'s setup to {output}.", file=sys.stderr)


def _close_cycle(cli: Cli, target: list[str], early: bool) -> None:
    from bot.domain.errors import UserError
    from bot.services.okrs.cycles import CloseNeedsConfirmation

    if len(target) > 2:
        raise CommandError(
            "Give at most a workspace and a cycle, e.g. `cycle close T0001 2026-Q4`."
        )
    known = cli.services().setup.workspaces()
    # The first word is the workspace when it names one (or looks like one, with a cycle after).
    first_is_workspace = bool(target) and (
        target[0] in known or (len(target) == 2 and bool(TEAM_ID.match(target[0])))
    )
    given = target[0] if first_is_workspace else None
    name = target[-1] if target and not (first_is_workspace and len(target) == 1) else None
    workspace = cli.workspace(given, "cycle close {workspace}")
    try:
        report = cli.services().okrs.close_cycle(workspace, name, early=early)
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


def _rebuild_rollups(cli: Cli, given: str | None) -> None:
    setup = cli.services().setup
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


def _delete_workspace(cli: Cli, workspace: str, now: bool) -> None:
    services = cli.services()
    known = services.setup.workspaces()
    if workspace not in known:
        listed = ", ".join(known) or "none yet"
        raise CommandError(f"No workspace {workspace} in this database (workspaces: {listed}).")
    if not now:
        raise CommandError(
            f"This deletes everything okrbot holds for {workspace}: its people, points, OKRs "
            "and installation. Nothing can bring it back. Add --now to delete it."
        )
    print(f"{workspace}: deleting…", file=sys.stderr, flush=True)
    removed = services.installs.delete_workspace(workspace)
    for table, count in sorted(removed.items()):
        print(f"  {table}: {count:,}")
    print(f"{workspace}: deleted, {sum(removed.values()):,} rows removed.")


def _jobs_list(cli: Cli) -> None:
    from bot.domain.periods import zone

    infos = cli.services().scheduler.jobs()
    if not infos:
        print("No workspaces yet: import a playbook or use okrbot in Slack first.")
    for info in infos:
        when = "not scheduled"
        if info.next_run:
            local = info.next_run.astimezone(zone(info.timezone))
            when = f"{local:%a %Y-%m-%d %H:%M} {info.timezone} ({info.next_run:%H:%M} UTC)"
            if info.next_run <= cli.clock.now():  # missed, within the catch-up window
                when = f"due now (was {when}; the scheduler's next minute sends it)"
        print(
            f"{info.workspace}  {info.job.value:<17} {info.schedule:<22} ({info.basis})  "
            f"next: {when}, {info.recipients} recipient(s)"
        )


def _jobs_run(cli: Cli, job: str, team: str | None, workspace: str | None) -> None:
    require_slack(cli.settings, receive=False)
    workspace = cli.workspace(workspace, f"jobs run {job} --workspace {{workspace}}")
    grace = timedelta(hours=cli.settings.scheduler_grace_hours)
    services = cli.services(cli.slack(), grace=grace)
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
