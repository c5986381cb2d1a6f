"""`okrbot` commands on a workspace's data: migrations, playbooks, cycles, rollups, jobs."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from bot.cli_common import TEAM_ID, CommandError, _clock, _engine, _which_workspace
from bot.domain.schedule import Job
from bot.settings import Settings, require_slack


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
    if playbook.named and not (settings.slack_bot_token or settings.oauth):
        for _value, where in playbook.named:  # before any database is touched
            print(f"{where}: looked up in Slack", file=sys.stderr)
        raise CommandError(
            f"{path} names {len(playbook.named)} people or group(s) by email or user group, "
            "which okrbot looks up in Slack: set SLACK_BOT_TOKEN in .env (or install over "
            "OAuth) first, or use Slack ids; nothing was imported."
        )
    engine = _engine(settings)
    upgrade(engine)
    edge = None
    if playbook.named:  # people by email, teams by user group: Slack says who they are
        from bot.slack_install import edge_for

        edge = edge_for(settings, engine)
    try:
        report = build_services(engine, _clock.now_source, edge).setup.import_playbook(playbook)
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
    from bot.services.okrs.cycles import CloseNeedsConfirmation
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


def _delete_workspace(settings: Settings, workspace: str, now: bool) -> None:
    from bot.app import build_services
    from storage.migrate import upgrade

    engine = _engine(settings)
    upgrade(engine)
    services = build_services(engine, _clock.now_source)
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
            if info.next_run <= _clock.now_source.now():  # missed, within the catch-up window
                when = f"due now (was {when}; the scheduler's next minute sends it)"
        print(
            f"{info.workspace}  {info.job.value:<17} {info.schedule:<22} ({info.basis})  "
            f"next: {when}, {info.recipients} recipient(s)"
        )


def _jobs_run(settings: Settings, job: str, team: str | None, workspace: str | None) -> None:
    from bot.app import build_services
    from bot.slack_install import edge_for
    from storage.migrate import upgrade

    require_slack(settings, receive=False)
    workspace = _which_workspace(settings, workspace, f"jobs run {job} --workspace {{workspace}}")
    engine = _engine(settings)
    upgrade(engine)
    grace = timedelta(hours=settings.scheduler_grace_hours)
    services = build_services(engine, _clock.now_source, edge_for(settings, engine), grace=grace)
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
