"""Reading a playbook YAML file into a Playbook, with errors that name the line and field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.domain.periods import zone
from bot.domain.playbook import ActivitySpec, Playbook, TeamSpec

WORKSPACE_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ACTIVITY_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
MAX_POINTS = 100_000

TOP_LEVEL = {"workspace", "timezone", "activities", "teams", "admins"}
ACTIVITY_FIELDS = {"key", "name", "points", "daily_cap"}
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
        if key is not None and key in seen:
            reader.problem(fields["key"], f"{path}.key", f"`{key}` is used by another activity")
        elif key is not None:
            seen.add(key)
            if name is not None and points is not None:
                specs.append(ActivitySpec(key, name, points, cap))
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
    if reader.problems or workspace is None:
        raise PlaybookError(reader.problems)
    return Playbook(workspace, timezone, activities, teams, admins)


def read_playbook(path: Path) -> Playbook:
    """Read and validate the playbook at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError([f"{path}: cannot read the file ({exc.strerror})"]) from exc
    return parse_playbook(text, source=str(path))
