"""Loading a playbook into a workspace: idempotent, all or nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import UserError
from bot.domain.playbook import ActivitySpec, Playbook, TeamSpec
from bot.domain.schedule_settings import schedules_to_json
from bot.services.context import DEFAULT_TIMEZONE, ServiceContext, ensure_workspace
from bot.services.install.okr_setup import (
    ended_cycle_warnings,
    sync_cycles,
    sync_links,
    sync_objectives,
)
from bot.services.install.playbook_export import export_playbook
from bot.services.ports import WorkspaceRepository
from storage.models import Workspace

USERGROUP_REFRESH = timedelta(days=1)  # how often a team's user group is read again
USERGROUP_LOOK = timedelta(hours=1)  # how often the scheduler looks for teams due a refresh


@dataclass
class ImportReport:
    """What an import changed, by kind of thing and kind of change."""

    workspace: str
    changes: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)  # done, but worth a second look

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
    repo: WorkspaceRepository, specs: tuple[TeamSpec, ...], report: ImportReport, now: datetime
) -> None:
    existing = {team.name.casefold(): team for team in repo.teams(include_archived=True)}
    for spec in specs:
        team = existing.pop(spec.name.casefold(), None)
        if team is None:
            team = repo.add_team(
                name=spec.name,
                channel_id=spec.channel,
                active=True,
                usergroup_id=spec.usergroup,
                usergroup_synced_at=now if spec.usergroup else None,
            )
            _sync_memberships(repo, team.id, spec)
            report.changes["teams added"] += 1
            continue
        wanted = {
            "name": spec.name,
            "channel_id": spec.channel,
            "active": True,
            "usergroup_id": spec.usergroup,
        }
        fields_changed = any(getattr(team, name) != value for name, value in wanted.items())
        for name, value in wanted.items():
            setattr(team, name, value)
        if spec.usergroup:  # its members were read from Slack just now
            team.usergroup_synced_at = now
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
        self._usergroups_checked: datetime | None = None

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

    def resolve_people(self, playbook: Playbook) -> Playbook:
        """`playbook` with people named by email and teams named by user group looked up in
        Slack; UserError listing every one that cannot be found, by file, line and field."""
        if not playbook.named:
            return playbook
        ids: dict[str, str] = {}
        groups: dict[str, tuple[str, tuple[str, ...]]] = {}
        problems: list[str] = []
        for email in playbook.emails():
            user = self.ctx.emails(playbook.workspace, email)
            if user is None:
                problems += [
                    f"{where}: no one in Slack has the email {email}"
                    for where in playbook.where(email)
                ]
            else:
                ids[email] = user
        for group in playbook.usergroups():
            found = self.ctx.groups(playbook.workspace, group)
            if found is None:
                problems += [
                    f"{where}: Slack has no user group {group}" for where in playbook.where(group)
                ]
            else:
                groups[group] = found
        if problems:
            raise UserError("\n".join(problems), field="people")
        return playbook.with_people(ids, groups)

    def refresh_usergroups_when_due(self) -> int:
        """`refresh_usergroups`, looked at once an hour (the scheduler's leader calls this
        every tick)."""
        now = self.ctx.clock.now()
        if self._usergroups_checked is not None and now - self._usergroups_checked < USERGROUP_LOOK:
            return 0
        self._usergroups_checked = now
        return self.refresh_usergroups()

    def refresh_usergroups(self, *, older_than: timedelta = USERGROUP_REFRESH) -> int:
        """Read again from Slack the members of every team that follows a user group and was
        last read more than `older_than` ago; return how many teams changed."""
        now = self.ctx.clock.now()
        changed = 0
        for workspace_id in self.workspaces():
            with self.ctx.uow() as uow:
                due = [
                    (team.id, team.usergroup_id)
                    for team in uow.repo(workspace_id).teams()
                    if team.usergroup_id
                    and (
                        team.usergroup_synced_at is None
                        or team.usergroup_synced_at <= now - older_than
                    )
                ]
            for team_id, group in due:
                found = self.ctx.groups(workspace_id, str(group))  # Slack, outside any transaction
                with self.ctx.uow() as uow:
                    repo = uow.repo(workspace_id)
                    team = repo.team(team_id)
                    if team is None or not team.active:
                        continue
                    team.usergroup_synced_at = now
                    if found is not None:
                        managers = tuple(
                            m.user_id for m in repo.memberships(team_id) if m.role == "manager"
                        )
                        spec = TeamSpec(
                            name=team.name,
                            channel=team.channel_id,
                            managers=managers,
                            members=found[1],
                            usergroup=found[0],
                        )
                        known = set(repo.member_ids())
                        for user in sorted(set(found[1]) - known):
                            repo.add_member(user, now)
                        repo.flush()
                        if _sync_memberships(repo, team_id, spec):
                            changed += 1
                            repo.renew_config_version()
                    uow.commit()
        return changed

    def import_playbook(self, playbook: Playbook) -> ImportReport:
        """Make the workspace match `playbook`; sections left out of it are left as they are.
        People named by email and teams named by user group are looked up in Slack first."""
        playbook = self.resolve_people(playbook)
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
                _sync_teams(repo, playbook.teams, report, now)
            _sync_people(repo, playbook, now, report)
            _sync_settings(workspace, playbook, report)
            okrs = uow.okrs(playbook.workspace)
            sync_cycles(okrs, playbook, report.changes)
            sync_objectives(repo, okrs, playbook, now, changes=report.changes)
            report.warnings += ended_cycle_warnings(okrs, playbook, repo.timezone(), now)
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
