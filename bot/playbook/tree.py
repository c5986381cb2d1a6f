"""A playbook's YAML as plain data for the schema, and where each value sits in the file."""

from __future__ import annotations

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

    def line(self, loc: Loc) -> int:
        """The line of the value at `loc`, or of its nearest enclosing value."""
        while loc not in self.lines:
            loc = loc[:-1]
        return self.lines[loc]


def build(root: yaml.Node) -> Tree:
    """Turn a composed YAML node into a Tree; keys that appear twice are problems."""
    tree = Tree(None)
    tree.data = _walk(root, (), tree, SafeConstructor())
    return tree


def _walk(node: yaml.Node, loc: Loc, tree: Tree, constructor: SafeConstructor) -> object:
    tree.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in mapping:
                tree.problems.append((key_node.start_mark.line + 1, (*loc, key), "appears twice"))
                continue
            tree.key_lines[(*loc, key)] = key_node.start_mark.line + 1
            mapping[key] = _walk(value_node, (*loc, key), tree, constructor)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*loc, i), tree, constructor) for i, item in enumerate(node.value)]
    tag = str(node.tag).rsplit(":", 1)[-1]
    return Scalar(tag, str(node.value), constructor.construct_object(node))


def shown(value: object) -> str:
    """A value as the file wrote it, for messages."""
    return value.raw if isinstance(value, Scalar) else "a list or mapping"


def path_of(loc: Loc) -> str:
    """Such as `objectives[0].key_results[1].target`."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".")
