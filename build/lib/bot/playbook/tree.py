"""A playbook's YAML as plain data for the schema, and where each value sits in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Scalar:
    """One YAML scalar: its tag (such as `int`), its text as written, and its value."""

    tag: str
    raw: str
    value: object


@dataclass
class Tree:
    """The document as dicts, lists and Scalars, with the line of every value and key."""

    data: object
    lines: dict[Loc, int] = field(default_factory=dict)  # a value's first line
    key_lines: dict[Loc, int] = field(default_factory=dict)  # the line of a mapping's key
    problems: list[tuple[int, Loc, str]] = field(default_factory=list)

    def value_at(self, loc: Loc) -> object:
        """The value at `loc` (None where there is none)."""
        node: object = self.data
        for part in loc:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict):
                node = node.get(part)
            else:
                return None
        return node

    def line(self, loc: Loc) -> int:
        """The line of the value at `loc`, or of its nearest enclosing value."""
        while loc not in self.lines:
            loc = loc[:-1]
        return self.lines[loc]


_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 32  # a playbook is a few levels deep; anything deeper is a mistake or an attack
MAX_VALUES = 100_000  # aliases (`*name`) can make a short file expand without end


class _TooBig(Exception):
    """The document expands to more values than any playbook has."""


def build(root: yaml.Node) -> Tree:
    """Turn a composed YAML node into a Tree. Keys that appear twice, values YAML cannot
    construct (such as the date 2026-09-31), nesting too deep, and aliases that refer to
    themselves or expand without end are problems on their lines, never exceptions."""
    tree = Tree(None)
    walker = _Walker(tree)
    try:
        tree.data = walker.walk(root, (), frozenset())
    except _TooBig:
        tree.data = None
        tree.problems.append(
            (1, (), f"the file expands to more than {MAX_VALUES:,} values (through aliases?)")
        )
    return tree


class _Walker:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.constructor = SafeConstructor()
        self.count = 0

    def problem(self, node: yaml.Node, loc: Loc, message: str) -> None:
        self.tree.problems.append((node.start_mark.line + 1, loc, message))

    def walk(self, node: yaml.Node, loc: Loc, open_nodes: frozenset[int]) -> object:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig
        self.tree.lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in open_nodes:
            self.problem(node, loc, "refers to itself (an alias inside its own anchor)")
            return None
        if len(loc) > MAX_DEPTH:
            self.problem(node, loc, f"is nested more than {MAX_DEPTH} levels deep")
            return None
        inside = open_nodes | {id(node)}
        if isinstance(node, yaml.MappingNode):
            mapping: dict[str, object] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_node, loc, "a key must be a plain name, not a list or mapping")
                    continue
                key = str(key_node.value)
                if key in mapping:
                    self.problem(key_node, (*loc, key), "appears twice")
                    continue
                self.tree.key_lines[(*loc, key)] = key_node.start_mark.line + 1
                mapping[key] = self.walk(value_node, (*loc, key), inside)
            return mapping
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*loc, i), inside) for i, item in enumerate(node.value)]
        tag = str(node.tag).rsplit(":", 1)[-1]
        try:
            value = self.constructor.construct_object(node)
        except Exception as error:  # PyYAML's constructors raise many kinds
            raw = str(node.value)
            if tag == "timestamp":
                self.problem(node, loc, f"`{raw}` is not a date on the calendar (YYYY-MM-DD)")
            else:
                reason = getattr(error, "problem", None) or str(error)
                self.problem(node, loc, f"`{raw[:40]}` cannot be read ({reason})")
            return Scalar("str", raw, raw)
        if isinstance(value, str) and _SURROGATE.search(value):
            self.problem(node, loc, "holds an escape (`\\ud800`…) that is not a character")
            return None
        return Scalar(tag, str(node.value), value)


def shown(value: object) -> str:
    """A value as the file wrote it, for messages."""
    return value.raw if isinstance(value, Scalar) else "a list or mapping"


def path_of(loc: Loc) -> str:
    """Such as `objectives[0].key_results[1].target`."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".")
