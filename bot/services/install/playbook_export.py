"""A workspace's current setup written out in the playbook format."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.errors import UserError
from bot.domain.playbook import DEFAULT_MAX_ACTIVITY_POINTS, DEFAULT_MAX_KR_POINTS
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import KeyResult, Workspace


def export_playbook(repo: WorkspaceRepository, okrs: OkrRepository) -> dict[str, Any]:
    """The workspace's current setup in the playbook format."""
    workspace = repo.workspace()
    if workspace is None:
        raise UserError(f"no workspace {repo.workspace_id} here yet")
    document = _settings(repo, workspace)
    cycles = sorted(okrs.cycles(), key=lambda c: c.starts_on)
    document["cycles"] = [{"name": c.name, "start": c.starts_on, "end": c.ends_on} for c in cycles]
    document["activities"] = _activities(repo, okrs)
    document["teams"] = _teams(repo)
    document["objectives"] = _objectives(repo, okrs)
    return document


def _settings(repo: WorkspaceRepository, workspace: Workspace) -> dict[str, Any]:
    document: dict[str, Any] = {"workspace": workspace.id, "timezone": workspace.timezone}
    document["checkin_points"] = workspace.checkin_points
    if (workspace.max_kr_points, workspace.max_activity_points) != (
        DEFAULT_MAX_KR_POINTS,
        DEFAULT_MAX_ACTIVITY_POINTS,
    ):
        document["limits"] = {
            "key_result_points": workspace.max_kr_points,
            "activity_points": workspace.max_activity_points,
        }
    admins = repo.admin_ids()
    if admins:
        document["admins"] = sorted(admins)
    if workspace.holidays:
        document["holidays"] = [date.fromisoformat(day) for day in workspace.holidays]
    if workspace.schedules:
        document["schedules"] = workspace.schedules
    return document


def _activities(repo: WorkspaceRepository, okrs: OkrRepository) -> list[dict[str, Any]]:
    kr_refs = {kr.id: kr.ref for kr in okrs.all_key_results()}
    links = okrs.links()
    activities = []
    for activity in repo.activity_types():
        entry: dict[str, Any] = {
            "key": activity.key,
            "name": activity.name,
            "points": activity.points,
        }
        if activity.daily_cap is not None:
            entry["daily_cap"] = activity.daily_cap
        mine = [link for link in links if link.activity_type_id == activity.id]
        counts = [kr_refs[link.key_result_id] for link in mine if link.role == "counts"]
        feeds = [kr_refs[link.key_result_id] for link in mine if link.role == "feeds"]
        if counts:
            entry["counts"] = counts[0]
        if feeds:
            entry["feeds"] = feeds
        activities.append(entry)
    return activities


def _teams(repo: WorkspaceRepository) -> list[dict[str, Any]]:
    teams = []
    for team in repo.teams():
        memberships = repo.memberships(team.id)
        entry: dict[str, Any] = {"name": team.name}
        if team.channel_id:
            entry["channel"] = team.channel_id
        entry["managers"] = sorted(m.user_id for m in memberships if m.role == "manager")
        entry["members"] = sorted(m.user_id for m in memberships if m.role == "member")
        teams.append(entry)
    return teams


def _objectives(repo: WorkspaceRepository, okrs: OkrRepository) -> list[dict[str, Any]]:
    krs = okrs.all_key_results()
    cycles = {cycle.id: cycle for cycle in okrs.cycles()}
    team_names = {team.id: team.name for team in repo.teams(include_archived=True)}
    objective_refs = {o.id: o.ref for o in okrs.all_objectives()}
    objectives = []
    for objective in okrs.all_objectives():
        if objective.archived:
            continue
        entry: dict[str, Any] = {
            "ref": objective.ref,
            "title": objective.title,
            "level": objective.level,
            "kind": objective.kind,
        }
        if objective.team_id is not None:
            entry["team"] = team_names[objective.team_id]
        if objective.owner_id:
            entry["owner"] = objective.owner_id
        if objective.parent_id is not None:
            entry["parent"] = objective_refs[objective.parent_id]
        entry["cycle"] = cycles[objective.cycle_id].name
        entry["key_results"] = [
            _export_kr(kr) for kr in krs if kr.objective_id == objective.id and not kr.archived
        ]
        objectives.append(entry)
    return objectives


def _export_kr(kr: KeyResult) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ref": kr.ref,
        "title": kr.title,
        "type": kr.kr_type,
        "owner": kr.owner_id,
    }
    if kr.start_value is not None:
        entry["start"] = kr.start_value
    if kr.target_value is not None:
        entry["target"] = kr.target_value
    if kr.unit:
        entry["unit"] = kr.unit
    entry["points"] = kr.points
    if kr.weight != 1.0:
        entry["weight"] = kr.weight
    if kr.milestones:
        entry["milestones"] = list(kr.milestones)
    return entry
