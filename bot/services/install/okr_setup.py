"""Importing and exporting the OKR part of a playbook."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import UserError
from bot.domain.periods import local_date, zone
from bot.domain.playbook import (
    ActivitySpec,
    KeyResultSpec,
    ObjectiveSpec,
    Playbook,
)
from bot.services.okrs.results import current_cycle
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import KeyResult, Objective


def _apply(row: Any, wanted: dict[str, Any]) -> bool:
    """Set the fields that differ; True when any did."""
    changed = False
    for name, value in wanted.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def sync_cycles(okrs: OkrRepository, playbook: Playbook, changes: Counter[str]) -> None:
    for spec in playbook.cycles or ():
        cycle = okrs.cycle_by_name(spec.name)
        if cycle is None:
            okrs.add_cycle(spec.name, spec.start, spec.end)
            changes["cycles added"] += 1
        elif _apply(cycle, {"starts_on": spec.start, "ends_on": spec.end}):
            changes["cycles updated"] += 1


def _kr_values(spec: KeyResultSpec, position: int, objective_id: int) -> dict[str, Any]:
    return {
        "objective_id": objective_id,
        "position": position,
        "title": spec.title,
        "owner_id": spec.owner,
        "kr_type": spec.kr_type,
        "unit": spec.unit,
        "start_value": spec.start,
        "target_value": spec.target,
        "weight": spec.weight,
        "points": spec.points,
        "milestones": list(spec.milestones),
        "archived": False,
        **({"external_id": spec.external_id} if spec.external_id is not None else {}),
    }


def _sync_objective(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    spec: ObjectiveSpec,
    default_cycle: int,
    *,
    now: datetime,
    changes: Counter[str],
    added: set[str],
    updated: set[str],
) -> Objective:
    teams = {team.name.casefold(): team for team in repo.teams()}
    team_id = None
    if spec.team is not None:
        team = teams.get(spec.team.casefold())
        if team is None:
            raise UserError(f"objective {spec.ref}: no team named `{spec.team}` in this workspace")
        team_id = team.id
    cycle_id = default_cycle
    if spec.cycle is not None:
        cycle = okrs.cycle_by_name(spec.cycle)
        if cycle is None:
            raise UserError(f"objective {spec.ref}: no cycle named `{spec.cycle}`")
        cycle_id = cycle.id
    wanted: dict[str, Any] = {
        "title": spec.title,
        "level": spec.level,
        "kind": spec.kind,
        "team_id": team_id,
        "owner_id": spec.owner,
        "cycle_id": cycle_id,
        "archived": False,
    }
    if spec.external_id is not None:
        wanted["external_id"] = spec.external_id
    objective = okrs.objective_by_ref(spec.ref)
    if objective is None:
        objective = okrs.add_objective(ref=spec.ref, created_at=now, **wanted)
        changes["objectives added"] += 1
        added.add(spec.ref)
    elif _apply(objective, wanted):
        updated.add(spec.ref)
    for position, kr_spec in enumerate(spec.key_results):
        values = _kr_values(kr_spec, position, objective.id)
        kr = okrs.key_result_by_ref(kr_spec.ref)
        if kr is None:
            done = [False] * len(kr_spec.milestones)
            current = {"current_value": kr_spec.current} if kr_spec.current is not None else {}
            okrs.add_key_result(
                ref=kr_spec.ref, created_at=now, milestones_done=done, **values, **current
            )
            changes["key results added"] += 1
        else:
            if len(kr.milestones_done or []) != len(kr_spec.milestones):
                values["milestones_done"] = (
                    (kr.milestones_done or []) + [False] * len(kr_spec.milestones)
                )[: len(kr_spec.milestones)]
            if kr_spec.current is not None and kr.last_checkin_at is None:
                values["current_value"] = kr_spec.current  # check-ins here outrank the file
            if _apply(kr, values):
                changes["key results updated"] += 1
    return objective


def sync_objectives(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    playbook: Playbook,
    now: datetime,
    *,
    changes: Counter[str],
) -> None:
    """Create or update objectives and key results by ref; those not in the file are left alone."""
    if playbook.objectives is None:
        return
    workspace = repo.workspace()
    assert workspace is not None
    default_cycle = current_cycle(okrs, zone(workspace.timezone), now).id
    added: set[str] = set()
    updated: set[str] = set()  # each objective counted once, however many of its fields changed
    by_ref = {
        spec.ref: _sync_objective(
            repo, okrs, spec, default_cycle, now=now, changes=changes, added=added, updated=updated
        )
        for spec in playbook.objectives
    }
    for spec in playbook.objectives:
        parent = by_ref.get(spec.parent) if spec.parent else None
        parent_id = parent.id if parent is not None else None
        if by_ref[spec.ref].parent_id != parent_id:
            by_ref[spec.ref].parent_id = parent_id
            updated.add(spec.ref)
    if updated - added:
        changes["objectives updated"] += len(updated - added)


def sync_links(
    repo: WorkspaceRepository,
    okrs: OkrRepository,
    activities: tuple[ActivitySpec, ...] | None,
    changes: Counter[str],
) -> None:
    """Make each listed activity's `counts` and `feeds` links match the file exactly."""
    if activities is None:
        return
    types = {row.key: row for row in repo.activity_types(include_archived=True)}
    for spec in activities:
        activity = types[spec.key]
        wanted: set[tuple[str, str]] = {(spec.counts, "counts")} if spec.counts else set()
        wanted |= {(ref, "feeds") for ref in spec.feeds}
        krs: dict[str, KeyResult] = {}
        for ref, _role in wanted:
            kr = okrs.key_result_by_ref(ref)
            if kr is None:
                raise UserError(
                    f"activity {spec.key}: no key result with ref `{ref}` in this workspace"
                )
            krs[ref] = kr
        current = {
            (link.key_result_id, link.role): link
            for link in okrs.links(activity_type_ids=[activity.id])
        }
        wanted_ids = {(krs[ref].id, role) for ref, role in wanted}
        for kr_id, role in wanted_ids - current.keys():
            okrs.add_link(activity.id, kr_id, role)
            changes["activity links added"] += 1
        for key in current.keys() - wanted_ids:
            okrs.remove_link(current[key])
            changes["activity links removed"] += 1


def ended_cycle_warnings(
    okrs: OkrRepository, playbook: Playbook, tz: ZoneInfo, now: datetime
) -> list[str]:
    """A line for each objective of the playbook that sits in a cycle already over."""
    today = local_date(now, tz)
    over = {c.id: c for c in okrs.cycles() if c.ends_on < today and c.closed_at is None}
    found = []
    for spec in playbook.objectives or ():
        objective = okrs.objective_by_ref(spec.ref) if over else None
        cycle = over.get(objective.cycle_id) if objective is not None else None
        if cycle is not None:
            found.append(
                f"objective {spec.ref} is in cycle {cycle.name}, which ended on "
                f"{cycle.ends_on:%Y-%m-%d}: add this period's cycle under `cycles:`, or close "
                f"it with `okrbot cycle close {playbook.workspace} {cycle.name}`"
            )
    return found
