"""Playbook sections for cycles, objectives and key results, and their cross-references."""

from __future__ import annotations

import yaml

from bot.domain.kr_types import kind_of
from bot.domain.kr_types import names as kr_type_names
from bot.domain.okrs import (
    MAX_MILESTONE_NAME,
    MAX_MILESTONES,
    MAX_TITLE,
    MAX_UNIT,
    Kind,
    Level,
)
from bot.domain.playbook import (
    MAX_CYCLE_NAME,
    CycleSpec,
    KeyResultSpec,
    ObjectiveSpec,
    Playbook,
)
from bot.playbook.reader import (
    CYCLE_FIELDS,
    KR_FIELDS,
    OBJECTIVE_FIELDS,
    REF,
    REF_HINT,
    USER_ID,
    Reader,
)


def cycles(reader: Reader, node: yaml.Node) -> tuple[CycleSpec, ...]:
    specs: list[CycleSpec] = []
    for index, item in enumerate(reader.sequence(node, "cycles")):
        path = f"cycles[{index}]"
        fields = reader.mapping(item, path, CYCLE_FIELDS)
        if not reader.require(fields, item, path, ("name", "start", "end")):
            continue
        name = reader.text(fields["name"], f"{path}.name", max_length=MAX_CYCLE_NAME)
        start = reader.day(fields["start"], f"{path}.start")
        end = reader.day(fields["end"], f"{path}.end")
        if start is not None and end is not None and end < start:
            reader.problem(fields["end"], f"{path}.end", "must not be before the start")
        elif name is not None and start is not None and end is not None:
            if any(spec.name == name for spec in specs):
                reader.problem(fields["name"], f"{path}.name", f"`{name}` is used by another cycle")
            specs.append(CycleSpec(name, start, end))
    return tuple(specs)


def _title(reader: Reader, node: yaml.Node, path: str) -> str | None:
    title = reader.text(node, path)
    if title is not None and len(title) > MAX_TITLE:
        reader.problem(node, path, f"must be at most {MAX_TITLE} characters, has {len(title)}")
        return None
    return title


def _key_result(
    reader: Reader, item: yaml.Node, path: str, default_owner: str | None
) -> KeyResultSpec | None:
    fields = reader.mapping(item, path, KR_FIELDS)
    if not reader.require(fields, item, path, ("ref", "title", "type")):
        return None
    ref = reader.text(fields["ref"], f"{path}.ref", REF, REF_HINT)
    title = _title(reader, fields["title"], f"{path}.title")
    kr_type = reader.choice(fields["type"], f"{path}.type", kr_type_names())
    owner = default_owner
    if "owner" in fields:
        owner = reader.text(
            fields["owner"], f"{path}.owner", USER_ID, " (expected a Slack user id)"
        )
    elif default_owner is None:
        reader.problem(item, path, "`owner` is required (the Slack user id who checks in on it)")
    start = reader.number(fields["start"], f"{path}.start") if "start" in fields else None
    target = reader.number(fields["target"], f"{path}.target") if "target" in fields else None
    unit = (
        reader.text(fields["unit"], f"{path}.unit", max_length=MAX_UNIT) or ""
        if "unit" in fields
        else ""
    )
    points = (
        reader.whole_number(fields["points"], f"{path}.points", 0, reader.max_kr_points)
        if "points" in fields
        else 0
    )
    weight = reader.number(fields["weight"], f"{path}.weight") if "weight" in fields else 1.0
    if weight is not None and weight <= 0:
        reader.problem(fields["weight"], f"{path}.weight", "must be above 0")
    milestones: list[str] = []
    if "milestones" in fields:
        entries = reader.sequence(fields["milestones"], f"{path}.milestones")
        for index, entry in enumerate(entries):
            text = reader.text(entry, f"{path}.milestones[{index}]", max_length=MAX_MILESTONE_NAME)
            if text is not None:
                milestones.append(text)
        if len(milestones) < len(entries):
            return None  # each bad entry is already reported
        if len(milestones) > MAX_MILESTONES:
            reader.problem(
                fields["milestones"],
                f"{path}.milestones",
                f"at most {MAX_MILESTONES} milestones, has {len(milestones)}: "
                "split the key result in two",
            )
            return None
    refused = ("start" in fields and start is None) or ("target" in fields and target is None)
    if refused:
        return None  # already reported
    if kr_type is not None:
        kind = kind_of(kr_type)
        if "start" not in fields:
            start = kind.default_start
        problem = kind.span_problem(start, target)
        if problem is not None:
            reader.problem(item, path, problem)
            return None
        if kind.milestones and not milestones:
            reader.problem(item, path, f"a {kind.name} key result needs a `milestones:` list")
            return None
    if ref is None or title is None or kr_type is None or points is None or weight is None:
        return None
    return KeyResultSpec(
        ref, title, kr_type, owner, start, target, unit, points, weight or 1.0, tuple(milestones)
    )


def objectives(reader: Reader, node: yaml.Node) -> tuple[ObjectiveSpec, ...]:
    specs: list[ObjectiveSpec] = []
    for index, item in enumerate(reader.sequence(node, "objectives")):
        path = f"objectives[{index}]"
        fields = reader.mapping(item, path, OBJECTIVE_FIELDS)
        if not reader.require(fields, item, path, ("ref", "title", "level")):
            continue
        ref = reader.text(fields["ref"], f"{path}.ref", REF, REF_HINT)
        title = _title(reader, fields["title"], f"{path}.title")
        level = reader.choice(fields["level"], f"{path}.level", [lv.value for lv in Level])
        kind = (
            reader.choice(fields["kind"], f"{path}.kind", [k.value for k in Kind])
            if "kind" in fields
            else "committed"
        )
        team = reader.text(fields["team"], f"{path}.team") if "team" in fields else None
        owner = None
        if "owner" in fields:
            owner = reader.text(
                fields["owner"], f"{path}.owner", USER_ID, " (expected a Slack user id)"
            )
        parent = (
            reader.text(fields["parent"], f"{path}.parent", REF, REF_HINT)
            if "parent" in fields
            else None
        )
        cycle = reader.text(fields["cycle"], f"{path}.cycle") if "cycle" in fields else None
        if level == Level.TEAM and team is None:
            reader.problem(item, path, "a team objective needs `team:` (a team name)")
        if level == Level.PERSONAL and owner is None:
            reader.problem(item, path, "a personal objective needs `owner:` (a Slack user id)")
        default_owner = owner if level == Level.PERSONAL else None
        key_results = []
        if "key_results" in fields:
            for kr_index, kr_node in enumerate(
                reader.sequence(fields["key_results"], f"{path}.key_results")
            ):
                spec = _key_result(
                    reader, kr_node, f"{path}.key_results[{kr_index}]", default_owner
                )
                if spec is not None:
                    key_results.append(spec)
        if ref is None or title is None or level is None or kind is None:
            continue
        specs.append(
            ObjectiveSpec(ref, title, level, kind, team, owner, parent, cycle, tuple(key_results))
        )
    return tuple(specs)


def check_references(reader: Reader, root: yaml.Node, playbook: Playbook) -> None:
    """Refs must be unique, and parents, teams, cycles and linked KRs must exist in the file."""
    objectives = playbook.objectives or ()
    objective_refs = [spec.ref for spec in objectives]
    kr_refs = [kr.ref for spec in objectives for kr in spec.key_results]
    for ref in {r for r in objective_refs + kr_refs if (objective_refs + kr_refs).count(r) > 1}:
        reader.problem(root, "objectives", f"the ref `{ref}` is used more than once")
    for node, path, used in reader.refs:
        if used is not None and playbook.objectives is not None and used not in kr_refs:
            reader.problem(node, path, f"no key result with ref `{used}` in this playbook")
    teams = {team.name.casefold() for team in playbook.teams or ()}
    cycles = {cycle.name for cycle in playbook.cycles or ()}
    for spec in objectives:
        if spec.parent is not None and spec.parent not in objective_refs:
            reader.problem(
                root, f"objectives.{spec.ref}.parent", f"no objective with ref `{spec.parent}`"
            )
        if (
            spec.team is not None
            and playbook.teams is not None
            and spec.team.casefold() not in teams
        ):
            reader.problem(
                root, f"objectives.{spec.ref}.team", f"no team named `{spec.team}` in this playbook"
            )
        if spec.cycle is not None and playbook.cycles is not None and spec.cycle not in cycles:
            reader.problem(
                root,
                f"objectives.{spec.ref}.cycle",
                f"no cycle named `{spec.cycle}` in this playbook",
            )
