"""Loading a playbook into a workspace: idempotent, all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.playbook import ActivitySpec, Playbook, TeamSpec
from bot.domain.schedule_settings import schedules_to_json
from bot.services.context import DEFAULT_TIMEZONE, ServiceContext, ensure_workspace
from bot.services.okr_setup import sync_cycles, sync_links, sync_objectives
from bot.services.playbook_export import export_playbook
from bot.services.ports import WorkspaceRepository
from storage.models import Workspace


@dataclass
class ImportReport:
    """What an import changed, by kind of thing and kind of change."""

    workspace: str
    changes: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        """True when the import changed anything at all."""
        return sum(self.changes.values()) > 0

    def lines(self) -> list[str]:
        """One line per kind of change, for the CLI."""
        if not self.changed:
            return [f"{self.workspace}: already up to date, nothing changed"]
        return [
            f"{self.workspace}: {what}: {count}" for what, count in sorted(self.changes.items())
        ]


def _sync_activities(
    repo: WorkspaceRepository, specs: tuple[ActivitySpec, ...], report: ImportReport
) -> None:
    existing = {row.key: row for row in repo.activity_types(include_archived=True)}
    for position, spec in enumerate(specs):
        wanted = {
            "name": spec.name,
            "points": spec.points,
            "daily_cap": spec.daily_cap,
            "position": position,
            "active": True,
        }
        row = existing.pop(spec.key, None)
        if row is None:
            repo.add_activity_type(key=spec.key, **wanted)
            report.changes["activities added"] += 1
        elif any(getattr(row, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(row, name, value)
            report.changes["activities updated"] += 1
    for row in existing.values():
        if row.active:
            row.active = False
            report.changes["activities archived (history kept)"] += 1


def _sync_memberships(repo: WorkspaceRepository, team_id: int, spec: TeamSpec) -> bool:
    wanted = {(user, "member") for user in spec.members} | {
        (user, "manager") for user in spec.managers
    }
    current = {(m.user_id, m.role): m for m in repo.memberships(team_id)}
    for key in wanted - current.keys():
        repo.add_membership(team_id, key[0], key[1])
    for key in current.keys() - wanted:
        repo.remove_membership(current[key])
    return wanted != current.keys()


def _sync_teams(
    repo: WorkspaceRepository, specs: tuple[TeamSpec, ...], report: ImportReport
) -> None:
    existing = {team.name.casefold(): team for team in repo.teams(include_archived=True)}
    for spec in specs:
        team = existing.pop(spec.name.casefold(), None)
        if team is None:
            team = repo.add_team(name=spec.name, channel_id=spec.channel, active=True)
            _sync_memberships(repo, team.id, spec)
            report.changes["teams added"] += 1
            continue
        wanted = {"name": spec.name, "channel_id": spec.channel, "active": True}
        fields_changed = any(getattr(team, name) != value for name, value in wanted.items())
        for name, value in wanted.items():
            setattr(team, name, value)
        if _sync_memberships(repo, team.id, spec) or fields_changed:
            report.changes["teams updated"] += 1
    for team in existing.values():
        if team.active:
            team.active = False
            report.changes["teams archived"] += 1


class SetupService:
    """`okrbot import`."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def workspaces(self) -> list[str]:
        """Every workspace's Slack team id."""
        with self.ctx.uow() as uow:
            return uow.workspace_ids()

    def team_names(self, workspace_id: str) -> list[str]:
        """The names of the workspace's active teams."""
        with self.ctx.uow() as uow:
            return sorted(team.name for team in uow.repo(workspace_id).teams())

    def rebuild_rollups(
        self, workspace_id: str, progress: Callable[[int], None] | None = None
    ) -> tuple[int, int]:
        """Recompute a workspace's daily and monthly points from its ledger, in one
        transaction; return the ledger entries read and the member-days written."""
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            read = repo.rebuild_rollups(progress)
            days = repo.rollup_days()
            uow.commit()
            return read, days

    def export(self, workspace_id: str) -> dict[str, Any]:
        """The workspace's setup as a playbook document."""
        with self.ctx.uow() as uow:
            return export_playbook(uow.repo(workspace_id), uow.okrs(workspace_id))

    def import_playbook(self, playbook: Playbook) -> ImportReport:
        """Make the workspace match `playbook`; sections left out of it are left as they are."""
        report = ImportReport(playbook.workspace)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            repo = uow.repo(playbook.workspace)
            is_new = repo.workspace() is None
            workspace = ensure_workspace(
                repo,
                now,
                playbook.timezone or DEFAULT_TIMEZONE,
                starter_catalog=playbook.activities is None,
            )
            if is_new:
                report.changes["workspace created"] += 1
            if playbook.timezone and workspace.timezone != playbook.timezone:
                workspace.timezone = playbook.timezone
                repo.rebuild_rollups()  # their days follow the workspace's calendar
                report.changes["timezone set"] += 1
            if playbook.activities is not None:
                _sync_activities(repo, playbook.activities, report)
            if playbook.teams is not None:
                _sync_teams(repo, playbook.teams, report)
            _sync_people(repo, playbook, now, report)
            _sync_settings(workspace, playbook, report)
            okrs = uow.okrs(playbook.workspace)
            sync_cycles(okrs, playbook, report.changes)
            sync_objectives(repo, okrs, playbook, now, report.changes)
            sync_links(repo, okrs, playbook.activities, report.changes)
            if report.changed:
                workspace.playbook_imported_at = now
                repo.renew_config_version()  # processes reload the catalog
                uow.commit()
        return report


def _sync_people(
    repo: WorkspaceRepository, playbook: Playbook, now: datetime, report: ImportReport
) -> None:
    """Add the members the playbook names, and set its admins."""
    people = set(playbook.admins or ())
    for team in playbook.teams or ():
        people.update(team.members, team.managers)
    known = set(repo.member_ids())
    for user in sorted(people - known):
        repo.add_member(user, now)
        report.changes["members added"] += 1
    repo.flush()
    if playbook.admins is not None and repo.set_admins(playbook.admins):
        report.changes["admins updated"] += 1


def _sync_settings(workspace: Workspace, playbook: Playbook, report: ImportReport) -> None:
    """Check-in points, point limits, holidays and schedules, where the playbook sets them."""
    if playbook.checkin_points is not None and workspace.checkin_points != playbook.checkin_points:
        workspace.checkin_points = playbook.checkin_points
        report.changes["check-in points set"] += 1
    if playbook.limits is not None and (
        workspace.max_kr_points,
        workspace.max_activity_points,
    ) != (playbook.limits.key_result, playbook.limits.activity):
        workspace.max_kr_points = playbook.limits.key_result
        workspace.max_activity_points = playbook.limits.activity
        report.changes["point limits set"] += 1
    if playbook.holidays is not None:
        holidays = sorted(day.isoformat() for day in playbook.holidays)
        if workspace.holidays != holidays:
            workspace.holidays = holidays
            report.changes["holidays set"] += len(holidays)
    if playbook.integrations is not None:
        integrations = [i.to_json() for i in playbook.integrations]
        if workspace.integrations != integrations:
            workspace.integrations = integrations
            report.changes["integrations set"] += 1
    schedules = playbook.schedules
    if schedules is not None and workspace.schedules != schedules_to_json(schedules):
        workspace.schedules = schedules_to_json(schedules)
        report.changes["schedules set"] += 1
