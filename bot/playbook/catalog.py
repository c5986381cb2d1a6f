"""Playbook sections for the catalog, teams and timezone."""

from __future__ import annotations

from dataclasses import replace

import yaml

from bot.domain.periods import zone
from bot.domain.playbook import (
    DEFAULT_MAX_ACTIVITY_POINTS,
    DEFAULT_MAX_KR_POINTS,
    HIGHEST_POINT_LIMIT,
    MAX_ACTIVITY_NAME,
    MAX_TEAM_NAME,
    ActivitySpec,
    PointLimits,
    TeamSpec,
)
from bot.playbook.reader import (
    ACTIVITY_FIELDS,
    ACTIVITY_KEY,
    CHANNEL_ID,
    LIMIT_FIELDS,
    REF,
    REF_HINT,
    TEAM_FIELDS,
    USER_ID,
    Reader,
)


def activities(reader: Reader, node: yaml.Node) -> tuple[ActivitySpec, ...]:
    specs: list[ActivitySpec] = []
    seen: set[str] = set()
    for index, item in enumerate(reader.sequence(node, "activities")):
        path = f"activities[{index}]"
        fields = reader.mapping(item, path, ACTIVITY_FIELDS)
        if not fields:
            continue
        reader.require(fields, item, path, ("key", "name", "points"))  # and read what is there
        key_hint = " (lowercase letters, digits, - or _, starting with a letter)"
        key = (
            reader.text(fields["key"], f"{path}.key", ACTIVITY_KEY, key_hint)
            if "key" in fields
            else None
        )
        name = (
            reader.text(fields["name"], f"{path}.name", max_length=MAX_ACTIVITY_NAME)
            if "name" in fields
            else None
        )
        points = (
            reader.whole_number(fields["points"], f"{path}.points", 0, reader.max_activity_points)
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


def teams(reader: Reader, node: yaml.Node) -> tuple[TeamSpec, ...]:
    specs: list[TeamSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(reader.sequence(node, "teams")):
        path = f"teams[{index}]"
        fields = reader.mapping(item, path, TEAM_FIELDS)
        if "name" not in fields:
            if fields:
                reader.problem(item, path, "`name` is required")
            continue
        name = reader.text(fields["name"], f"{path}.name", max_length=MAX_TEAM_NAME)
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


def timezone_of(reader: Reader, node: yaml.Node) -> str | None:
    name = reader.text(node, "timezone")
    if name is None:
        return None
    try:
        zone(name)
    except ValueError as exc:
        reader.problem(node, "timezone", str(exc))
        return None
    return name


def limits(reader: Reader, node: yaml.Node) -> PointLimits:
    """`limits:` raises the most points a key result or an activity unit may be worth."""
    fields = reader.mapping(node, "limits", LIMIT_FIELDS)
    found = PointLimits()
    for name, attribute, default in (
        ("key_result_points", "key_result", DEFAULT_MAX_KR_POINTS),
        ("activity_points", "activity", DEFAULT_MAX_ACTIVITY_POINTS),
    ):
        if name in fields:
            value = reader.whole_number(
                fields[name], f"limits.{name}", default, HIGHEST_POINT_LIMIT
            )
            if value is not None:
                found = replace(found, **{attribute: value})
    return found
