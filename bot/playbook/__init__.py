"""Reading a playbook YAML file into a Playbook, with errors that name the line and field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.domain.playbook import Playbook
from bot.playbook import catalog, okrs, schedules
from bot.playbook.reader import TOP_LEVEL, USER_ID, WORKSPACE_ID, PlaybookError, Reader

__all__ = ["PlaybookError", "parse_playbook", "read_playbook"]


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
    reader = Reader(source)
    fields = reader.mapping(root, "", TOP_LEVEL)
    workspace = None
    if "workspace" in fields:
        hint = " (expected the Slack team id, such as T0123ABCD)"
        workspace = reader.text(fields["workspace"], "workspace", WORKSPACE_ID, hint)
    elif isinstance(root, yaml.MappingNode):
        reader.problem(root, "workspace", "is required (the Slack team id, such as T0123ABCD)")

    def section(name: str, read: Callable[[Reader, yaml.Node], Any]) -> Any:
        return read(reader, fields[name]) if name in fields else None

    limits = section("limits", catalog.limits)
    if limits is not None:  # the bounds every points value below is checked against
        reader.max_kr_points, reader.max_activity_points = limits.key_result, limits.activity
    timezone = section("timezone", catalog.timezone_of)
    activities = section("activities", catalog.activities)
    teams = section("teams", catalog.teams)
    admins = section("admins", lambda r, n: tuple(r.ids(n, "admins", USER_ID, "user")))
    cycles = section("cycles", okrs.cycles)
    objectives = section("objectives", okrs.objectives)
    checkin_points = section(
        "checkin_points", lambda r, n: r.whole_number(n, "checkin_points", 0, 1000)
    )
    holidays = section("holidays", schedules.holidays)
    schedule_settings = section("schedules", schedules.schedules)
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
        schedule_settings,
        limits,
    )
    okrs.check_references(reader, root, playbook)
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
