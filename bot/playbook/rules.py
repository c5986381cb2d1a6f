"""Playbook rules that span more than one value: unique names, owners, and references."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.okrs import Level
from bot.playbook.problems import Found
from bot.playbook.schema import PlaybookFile
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


def references(tree: Tree, playbook: PlaybookFile) -> list[Found]:
    """Refs are unique, and the key results, parents, teams and cycles named exist."""
    found: list[Found] = []
    objectives = playbook.objectives or []
    refs: set[str] = set()
    for index, objective in enumerate(objectives):
        krs = objective.key_results
        at: list[Loc] = [("objectives", index, "ref")]
        at += [("objectives", index, "key_results", i, "ref") for i in range(len(krs))]
        for loc, ref in zip(at, [objective.ref] + [kr.ref for kr in krs], strict=True):
            if ref in refs:
                found.append((tree.line(loc), loc, f"the ref `{ref}` is used more than once"))
            refs.add(ref)
    objective_refs = {objective.ref for objective in objectives}
    if playbook.objectives is not None:
        found += _activity_links(tree, refs - objective_refs)
    teams = {team.name.casefold() for team in playbook.teams or []}
    cycles = {cycle.name for cycle in playbook.cycles or []}
    for index, objective in enumerate(objectives):
        missing: list[tuple[str, str]] = []
        if objective.parent is not None and objective.parent not in objective_refs:
            missing.append(("parent", f"no objective with ref `{objective.parent}`"))
        team = objective.team
        if team is not None and playbook.teams is not None and team.casefold() not in teams:
            missing.append(("team", f"no team named `{team}` in this playbook"))
        cycle = objective.cycle
        if cycle is not None and playbook.cycles is not None and cycle not in cycles:
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
