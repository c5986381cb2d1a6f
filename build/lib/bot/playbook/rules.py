"""Playbook rules that span more than one value: unique names, owners, and references."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.okrs import Level
from bot.playbook.problems import Found
from bot.playbook.tree import Loc, Scalar, Tree


def _text(value: object) -> str | None:
    if isinstance(value, Scalar) and value.tag != "null":
        return value.raw.strip() or None
    return None


def _items(data: object, section: str) -> Iterator[tuple[int, dict[str, object]]]:
    items = data.get(section) if isinstance(data, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if isinstance(item, dict):
            yield index, item


def across_items(tree: Tree) -> list[Found]:
    """Unique names and required owners, checked on what the file holds even when parts are
    invalid, so each problem shows in the first report."""
    found: list[Found] = []
    for section, field, what, fold in (
        ("activities", "key", "activity", False),
        ("teams", "name", "team", True),
        ("cycles", "name", "cycle", False),
        ("integrations", "source", "integration", False),
    ):
        seen: set[str] = set()
        for index, item in _items(tree.data, section):
            name = _text(item.get(field))
            if name is None:
                continue
            folded = name.casefold() if fold else name
            if folded in seen:
                loc: Loc = (section, index, field)
                found.append((tree.line(loc), loc, f"`{name}` is used by another {what}"))
            seen.add(folded)
    for index, item in _items(tree.data, "objectives"):
        found += _owners(tree, index, item)
    return found


def _owners(tree: Tree, index: int, objective: dict[str, object]) -> list[Found]:
    loc: Loc = ("objectives", index)
    level, owner = _text(objective.get("level")), _text(objective.get("owner"))
    found: list[Found] = []
    if level == Level.TEAM and _text(objective.get("team")) is None:
        found.append((tree.line(loc), loc, "a team objective needs `team:` (a team name)"))
    if level == Level.PERSONAL and owner is None:
        found.append((tree.line(loc), loc, "a personal objective needs `owner:` (a Slack user id)"))
    if level == Level.PERSONAL and owner is not None:
        return found  # its key results default to the objective's owner
    for kr_index, kr in _items(objective, "key_results"):
        if "owner" not in kr:
            at = (*loc, "key_results", kr_index)
            found.append(
                (tree.line(at), at, "`owner` is required (the Slack user id who checks in on it)")
            )
    return found


def references(tree: Tree) -> list[Found]:
    """Refs are unique, and the key results, parents, teams and cycles named exist; checked on
    what the file holds, so these show in the same report as every other problem."""
    found: list[Found] = []
    refs: set[str] = set()
    objective_refs: set[str] = set()
    for index, objective in _items(tree.data, "objectives"):
        at: list[tuple[Loc, object]] = [(("objectives", index, "ref"), objective.get("ref"))]
        for kr_index, kr in _items(objective, "key_results"):
            at.append((("objectives", index, "key_results", kr_index, "ref"), kr.get("ref")))
        for position, (loc, value) in enumerate(at):
            ref = _text(value)
            if ref is None:
                continue
            if ref in refs:
                found.append((tree.line(loc), loc, f"the ref `{ref}` is used more than once"))
            refs.add(ref)
            if position == 0:
                objective_refs.add(ref)
    data = tree.data if isinstance(tree.data, dict) else {}
    if "objectives" in data:
        found += _activity_links(tree, refs - objective_refs)
    teams = {str(_text(team.get("name"))).casefold() for _i, team in _items(data, "teams")}
    cycles = {_text(cycle.get("name")) for _i, cycle in _items(data, "cycles")}
    for index, objective in _items(data, "objectives"):
        missing: list[tuple[str, str]] = []
        parent, team, cycle = (_text(objective.get(f)) for f in ("parent", "team", "cycle"))
        if parent is not None and parent not in objective_refs:
            missing.append(("parent", f"no objective with ref `{parent}`"))
        if team is not None and "teams" in data and team.casefold() not in teams:
            missing.append(("team", f"no team named `{team}` in this playbook"))
        if cycle is not None and "cycles" in data and cycle not in cycles:
            missing.append(("cycle", f"no cycle named `{cycle}` in this playbook"))
        for field, message in missing:
            loc = ("objectives", index, field)
            found.append((tree.line(loc), loc, message))
    return found


def _activity_links(tree: Tree, kr_refs: set[str]) -> list[Found]:
    """Each `counts:` and `feeds:` names a key result of the playbook."""
    found: list[Found] = []
    for index, item in _items(tree.data, "activities"):
        links: list[tuple[Loc, object]] = [(("activities", index, "counts"), item.get("counts"))]
        feeds = item.get("feeds")
        for feed_index, feed in enumerate(feeds if isinstance(feeds, list) else ()):
            links.append((("activities", index, "feeds", feed_index), feed))
        for loc, value in links:
            ref = _text(value)
            if ref is not None and ref not in kr_refs:
                found.append(
                    (tree.line(loc), loc, f"no key result with ref `{ref}` in this playbook")
                )
    return found
