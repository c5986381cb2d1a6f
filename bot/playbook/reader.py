"""The YAML walker behind playbook parsing: converts values and collects problems by line."""

from __future__ import annotations

import re
from datetime import date, datetime

import yaml

from bot.domain.numbers import finite_problem
from bot.domain.playbook import DEFAULT_MAX_ACTIVITY_POINTS, DEFAULT_MAX_KR_POINTS

WORKSPACE_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ACTIVITY_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,29}$")
REF = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
REF_HINT = " (letters and digits starting with a capital, such as K12 or O3)"

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
    "limits",
}
LIMIT_FIELDS = {"key_result_points", "activity_points"}
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


class Reader:
    """Walks the YAML node tree, converting values and collecting problems."""

    max_kr_points = DEFAULT_MAX_KR_POINTS
    max_activity_points = DEFAULT_MAX_ACTIVITY_POINTS

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

    def require(
        self, fields: dict[str, yaml.Node], node: yaml.Node, path: str, names: tuple[str, ...]
    ) -> bool:
        """Report each of `names` missing from a (non-empty) mapping; True when none is."""
        missing = [name for name in names if name not in fields]
        if fields:
            for name in missing:
                self.problem(node, path, f"`{name}` is required")
        return not missing

    def sequence(self, node: yaml.Node, path: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, path, "expected a list")
            return []
        return list(node.value)

    def text(
        self,
        node: yaml.Node,
        path: str,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
        *,
        max_length: int | None = None,
    ) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
            self.problem(node, path, "expected a text value")
            return None
        value = str(node.value).strip()
        if not value:
            self.problem(node, path, "must not be empty")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(node, path, f"`{value[:100]}` is not valid{hint}")
            return None
        if max_length is not None and len(value) > max_length:
            self.problem(node, path, f"must be at most {max_length} characters, has {len(value)}")
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
            value = float(
                yaml.safe_load(node.value) if node.tag.endswith(":float") else int(node.value)
            )
            problem = finite_problem(value)
            if problem is None:
                return value
            self.problem(node, path, f"{problem}, got `{node.value}`")
            return None
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
