"""Reading a playbook YAML file into a Playbook, with errors that name the line and field."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.domain.okrs import MAX_TITLE, Kind, KRType, Level, check_span
from bot.domain.periods import zone
from bot.domain.playbook import (
    ActivitySpec,
    CycleSpec,
    KeyResultSpec,
    ObjectiveSpec,
    Playbook,
    TeamSpec,
)
from bot.domain.schedule import WEEKDAYS, Job

WORKSPACE_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ACTIVITY_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
REF = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
REF_HINT = " (letters and digits starting with a capital, such as K12 or O3)"
MAX_POINTS = 100_000

TOP_LEVEL = {
    "workspace",
    "timezone",
    "activities",
    "teams",
    "admins",
    "cycles",
    "objectives",
    "checkin_points",
    "holidays",
    "schedules",
}
SCHEDULE_FIELDS = {"at", "days", "enabled", "teams"}
TEAM_SCHEDULE_FIELDS = {"at", "days", "enabled"}
CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ACTIVITY_FIELDS = {"key", "name", "points", "daily_cap", "counts", "feeds"}
CYCLE_FIELDS = {"name", "start", "end"}
OBJECTIVE_FIELDS = {
    "ref",
    "title",
    "level",
    "kind",
    "team",
    "owner",
    "parent",
    "cycle",
    "key_results",
}
KR_FIELDS = {
    "ref",
    "title",
    "type",
    "owner",
    "start",
    "target",
    "unit",
    "points",
    "weight",
    "milestones",
}
TEAM_FIELDS = {"name", "channel", "managers", "members"}


class PlaybookError(Exception):
    """The playbook is invalid; `problems` lists every problem found, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Reader:
    """Walks the YAML node tree, converting values and collecting problems."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[int, str]] = []
        self.refs: list[tuple[yaml.Node, str, str | None]] = []  # KR refs used by activities

    def problem(self, node: yaml.Node, path: str, message: str) -> None:
        line = node.start_mark.line + 1
        self.found.append((line, f"{self.source}:{line}: {path}: {message}"))

    @property
    def problems(self) -> list[str]:
        """Every problem, in the order of the file's lines."""
        return [text for _line, text in sorted(self.found, key=lambda item: item[0])]

    def mapping(self, node: yaml.Node, path: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path, "expected a mapping of `field: value`")
            return {}
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in fields:
                self.problem(key_node, f"{path}.{key}".lstrip("."), "appears twice")
            elif key not in allowed:
                names = ", ".join(sorted(allowed))
                self.problem(key_node, f"{path}.{key}".lstrip("."), f"unknown field (use {names})")
            fields[key] = value_node
        return fields

    def sequence(self, node: yaml.Node, path: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, path, "expected a list")
            return []
        return list(node.value)

    def text(
        self, node: yaml.Node, path: str, pattern: re.Pattern[str] | None = None, hint: str = ""
    ) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
            self.problem(node, path, "expected a text value")
            return None
        value = str(node.value).strip()
        if not value:
            self.problem(node, path, "must not be empty")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(node, path, f"`{value}` is not valid{hint}")
            return None
        return value

    def whole_number(self, node: yaml.Node, path: str, low: int, high: int) -> int | None:
        ok = isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int")
        if ok and low <= int(node.value) <= high:
            return int(node.value)
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.problem(node, path, f"must be a whole number from {low} to {high}, got `{shown}`")
        return None

    def number(self, node: yaml.Node, path: str) -> float | None:
        if isinstance(node, yaml.ScalarNode) and (
            node.tag.endswith(":int") or node.tag.endswith(":float")
        ):
            return float(
                yaml.safe_load(node.value) if node.tag.endswith(":float") else int(node.value)
            )
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.problem(node, path, f"must be a number, got `{shown}`")
        return None

    def day(self, node: yaml.Node, path: str) -> date | None:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
            value = yaml.safe_load(node.value)
            if isinstance(value, date) and not isinstance(value, datetime):
                return value
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.problem(node, path, f"must be a date like 2026-10-01, got `{shown}`")
        return None

    def choice(self, node: yaml.Node, path: str, choices: list[str]) -> str | None:
        value = self.text(node, path)
        if value is not None and value not in choices:
            self.problem(node, path, f"`{value}` is not one of {', '.join(choices)}")
            return None
        return value

    def ids(self, node: yaml.Node, path: str, pattern: re.Pattern[str], what: str) -> list[str]:
        values = []
        for index, item in enumerate(self.sequence(node, path)):
            value = self.text(item, f"{path}[{index}]", pattern, f" (expected a Slack {what} id)")
            if value is not None:
                values.append(value)
        return values


def _activities(reader: _Reader, node: yaml.Node) -> tuple[ActivitySpec, ...]:
    specs: list[ActivitySpec] = []
    seen: set[str] = set()
    for index, item in enumerate(reader.sequence(node, "activities")):
        path = f"activities[{index}]"
        fields = reader.mapping(item, path, ACTIVITY_FIELDS)
        if not fields:
            continue
        missing = [name for name in ("key", "name", "points") if name not in fields]
        for required in missing:
            reader.problem(item, path, f"`{required}` is required")
        key_hint = " (lowercase letters, digits, - or _, starting with a letter)"
        key = (
            reader.text(fields["key"], f"{path}.key", ACTIVITY_KEY, key_hint)
            if "key" in fields
            else None
        )
        name = reader.text(fields["name"], f"{path}.name") if "name" in fields else None
        points = (
            reader.whole_number(fields["points"], f"{path}.points", 0, MAX_POINTS)
            if "points" in fields
            else None
        )
        cap = None
        if "daily_cap" in fields:
            cap = reader.whole_number(fields["daily_cap"], f"{path}.daily_cap", 1, 1000)
        counts = None
        if "counts" in fields:
            counts = reader.text(fields["counts"], f"{path}.counts", REF, REF_HINT)
            reader.refs.append((fields["counts"], f"{path}.counts", counts))
        feeds: list[str] = []
        if "feeds" in fields:
            for index_feed, feed in enumerate(reader.sequence(fields["feeds"], f"{path}.feeds")):
                ref = reader.text(feed, f"{path}.feeds[{index_feed}]", REF, REF_HINT)
                reader.refs.append((feed, f"{path}.feeds[{index_feed}]", ref))
                if ref is not None:
                    feeds.append(ref)
        if key is not None and key in seen:
            reader.problem(fields["key"], f"{path}.key", f"`{key}` is used by another activity")
        elif key is not None:
            seen.add(key)
            if name is not None and points is not None:
                specs.append(
                    ActivitySpec(key, name, points, cap, counts, tuple(dict.fromkeys(feeds)))
                )
    return tuple(specs)


def _teams(reader: _Reader, node: yaml.Node) -> tuple[TeamSpec, ...]:
    specs: list[TeamSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(reader.sequence(node, "teams")):
        path = f"teams[{index}]"
        fields = reader.mapping(item, path, TEAM_FIELDS)
        if "name" not in fields:
            if fields:
                reader.problem(item, path, "`name` is required")
            continue
        name = reader.text(fields["name"], f"{path}.name")
        channel = None
        if "channel" in fields:
            hint = " (expected a Slack channel id such as C0123ABCD)"
            channel = reader.text(fields["channel"], f"{path}.channel", CHANNEL_ID, hint)
        managers = (
            reader.ids(fields["managers"], f"{path}.managers", USER_ID, "user")
            if "managers" in fields
            else []
        )
        members = (
            reader.ids(fields["members"], f"{path}.members", USER_ID, "user")
            if "members" in fields
            else []
        )
        if name is not None and name.casefold() in seen:
            reader.problem(fields["name"], f"{path}.name", f"`{name}` is used by another team")
        elif name is not None:
            seen.add(name.casefold())
            specs.append(
                TeamSpec(
                    name, channel, tuple(dict.fromkeys(managers)), tuple(dict.fromkeys(members))
                )
            )
    return tuple(specs)


def _cycles(reader: _Reader, node: yaml.Node) -> tuple[CycleSpec, ...]:
    specs: list[CycleSpec] = []
    for index, item in enumerate(reader.sequence(node, "cycles")):
        path = f"cycles[{index}]"
        fields = reader.mapping(item, path, CYCLE_FIELDS)
        for required in ("name", "start", "end"):
            if fields and required not in fields:
                reader.problem(item, path, f"`{required}` is required")
        if not all(name in fields for name in ("name", "start", "end")):
            continue
        name = reader.text(fields["name"], f"{path}.name")
        start = reader.day(fields["start"], f"{path}.start")
        end = reader.day(fields["end"], f"{path}.end")
        if start is not None and end is not None and end < start:
            reader.problem(fields["end"], f"{path}.end", "must not be before the start")
        elif name is not None and start is not None and end is not None:
            if any(spec.name == name for spec in specs):
                reader.problem(fields["name"], f"{path}.name", f"`{name}` is used by another cycle")
            specs.append(CycleSpec(name, start, end))
    return tuple(specs)


def _title(reader: _Reader, node: yaml.Node, path: str) -> str | None:
    title = reader.text(node, path)
    if title is not None and len(title) > MAX_TITLE:
        reader.problem(node, path, f"must be at most {MAX_TITLE} characters, has {len(title)}")
        return None
    return title


def _key_result(
    reader: _Reader, item: yaml.Node, path: str, default_owner: str | None
) -> KeyResultSpec | None:
    fields = reader.mapping(item, path, KR_FIELDS)
    for required in ("ref", "title", "type"):
        if fields and required not in fields:
            reader.problem(item, path, f"`{required}` is required")
    if not all(name in fields for name in ("ref", "title", "type")):
        return None
    ref = reader.text(fields["ref"], f"{path}.ref", REF, REF_HINT)
    title = _title(reader, fields["title"], f"{path}.title")
    kr_type = reader.choice(fields["type"], f"{path}.type", [t.value for t in KRType])
    owner = default_owner
    if "owner" in fields:
        owner = reader.text(
            fields["owner"], f"{path}.owner", USER_ID, " (expected a Slack user id)"
        )
    elif default_owner is None:
        reader.problem(item, path, "`owner` is required (the Slack user id who checks in on it)")
    start = reader.number(fields["start"], f"{path}.start") if "start" in fields else None
    target = reader.number(fields["target"], f"{path}.target") if "target" in fields else None
    unit = reader.text(fields["unit"], f"{path}.unit") or "" if "unit" in fields else ""
    points = (
        reader.whole_number(fields["points"], f"{path}.points", 0, MAX_POINTS)
        if "points" in fields
        else 0
    )
    weight = reader.number(fields["weight"], f"{path}.weight") if "weight" in fields else 1.0
    if weight is not None and weight <= 0:
        reader.problem(fields["weight"], f"{path}.weight", "must be above 0")
    milestones: list[str] = []
    if "milestones" in fields:
        for index, entry in enumerate(reader.sequence(fields["milestones"], f"{path}.milestones")):
            text = reader.text(entry, f"{path}.milestones[{index}]")
            if text is not None:
                milestones.append(text)
    if kr_type is not None:
        if kr_type == KRType.INCREASE_TO and "start" not in fields:
            start = 0.0
        problem = check_span(KRType(kr_type), start, target)
        if problem is not None:
            reader.problem(item, path, problem)
            return None
        if kr_type == KRType.MILESTONES and not milestones:
            reader.problem(item, path, "a milestones key result needs a `milestones:` list")
            return None
    if ref is None or title is None or kr_type is None or points is None or weight is None:
        return None
    return KeyResultSpec(
        ref, title, kr_type, owner, start, target, unit, points, weight or 1.0, tuple(milestones)
    )


def _objectives(reader: _Reader, node: yaml.Node) -> tuple[ObjectiveSpec, ...]:
    specs: list[ObjectiveSpec] = []
    for index, item in enumerate(reader.sequence(node, "objectives")):
        path = f"objectives[{index}]"
        fields = reader.mapping(item, path, OBJECTIVE_FIELDS)
        for required in ("ref", "title", "level"):
            if fields and required not in fields:
                reader.problem(item, path, f"`{required}` is required")
        if not all(name in fields for name in ("ref", "title", "level")):
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


def _check_references(reader: _Reader, root: yaml.Node, playbook: Playbook) -> None:
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


def _holidays(reader: _Reader, node: yaml.Node) -> tuple[date, ...]:
    days = [
        reader.day(item, f"holidays[{i}]")
        for i, item in enumerate(reader.sequence(node, "holidays"))
    ]
    return tuple(day for day in days if day is not None)


def _one_schedule(
    reader: _Reader, node: yaml.Node, path: str, allowed: set[str]
) -> dict[str, object]:
    fields = reader.mapping(node, path, allowed)
    result: dict[str, object] = {}
    if "at" in fields:
        at = reader.text(
            fields["at"], f"{path}.at", CLOCK_TIME, ' (a 24-hour time in quotes, such as "16:00")'
        )
        if at is not None:
            result["at"] = at
    if "days" in fields:
        days = []
        for index, item in enumerate(reader.sequence(fields["days"], f"{path}.days")):
            day = reader.choice(item, f"{path}.days[{index}]", list(WEEKDAYS))
            if day is not None:
                days.append(day)
        result["days"] = days
    if "enabled" in fields:
        flag = fields["enabled"]
        if isinstance(flag, yaml.ScalarNode) and flag.tag.endswith(":bool"):
            result["enabled"] = yaml.safe_load(flag.value)
        else:
            reader.problem(flag, f"{path}.enabled", "must be true or false")
    return result


def _schedules(reader: _Reader, node: yaml.Node) -> dict[str, dict[str, object]]:
    jobs = [job.value for job in Job]
    result: dict[str, dict[str, object]] = {}
    for job, job_node in reader.mapping(node, "schedules", set(jobs)).items():
        settings = _one_schedule(reader, job_node, f"schedules.{job}", SCHEDULE_FIELDS)
        job_fields = reader.mapping(job_node, f"schedules.{job}", SCHEDULE_FIELDS)
        if "teams" in job_fields:
            teams = {}
            for team, team_node in _any_mapping(
                reader, job_fields["teams"], f"schedules.{job}.teams"
            ).items():
                teams[team] = _one_schedule(
                    reader, team_node, f"schedules.{job}.teams.{team}", TEAM_SCHEDULE_FIELDS
                )
            settings["teams"] = teams
        result[job] = settings
    return result


def _any_mapping(reader: _Reader, node: yaml.Node, path: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        reader.problem(node, path, "expected a mapping of team name to settings")
        return {}
    return {str(key.value): value for key, value in node.value}


def _timezone(reader: _Reader, node: yaml.Node) -> str | None:
    name = reader.text(node, "timezone")
    if name is None:
        return None
    try:
        zone(name)
    except ValueError as exc:
        reader.problem(node, "timezone", str(exc))
        return None
    return name


def parse_playbook(text: str, source: str = "playbook") -> Playbook:
    """Parse and validate playbook YAML; raise PlaybookError listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise PlaybookError(
            [f"{source}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from exc
    if root is None:
        raise PlaybookError([f"{source}: the file is empty"])
    reader = _Reader(source)
    fields = reader.mapping(root, "", TOP_LEVEL)
    workspace = None
    if "workspace" in fields:
        hint = " (expected the Slack team id, such as T0123ABCD)"
        workspace = reader.text(fields["workspace"], "workspace", WORKSPACE_ID, hint)
    elif isinstance(root, yaml.MappingNode):
        reader.problem(root, "workspace", "is required (the Slack team id, such as T0123ABCD)")

    def section(name: str, read: Callable[[_Reader, yaml.Node], Any]) -> Any:
        return read(reader, fields[name]) if name in fields else None

    timezone = section("timezone", _timezone)
    activities = section("activities", _activities)
    teams = section("teams", _teams)
    admins = section("admins", lambda r, n: tuple(r.ids(n, "admins", USER_ID, "user")))
    cycles = section("cycles", _cycles)
    objectives = section("objectives", _objectives)
    checkin_points = section(
        "checkin_points", lambda r, n: r.whole_number(n, "checkin_points", 0, 1000)
    )
    holidays = section("holidays", _holidays)
    schedules = section("schedules", _schedules)
    if reader.problems or workspace is None:
        raise PlaybookError(reader.problems)
    playbook = Playbook(
        workspace,
        timezone,
        activities,
        teams,
        admins,
        cycles,
        objectives,
        checkin_points,
        holidays,
        schedules,
    )
    _check_references(reader, root, playbook)
    if reader.problems:
        raise PlaybookError(reader.problems)
    return playbook


def read_playbook(path: Path) -> Playbook:
    """Read and validate the playbook at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError([f"{path}: cannot read the file ({exc.strerror})"]) from exc
    return parse_playbook(text, source=str(path))
