"""Schema errors as the playbook's author reads them: `file:line: field: problem`."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
import yaml.reader
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.playbook.tree import Loc, Tree, path_of

Found = tuple[int, Loc, str]  # line, where, what is wrong

SHAPES = {
    "model_type": "expected a mapping of `field: value`",
    "model_attributes_type": "expected a mapping of `field: value`",
    "dict_type": "expected a mapping of team name to settings",
    "list_type": "expected a list",
}


def from_schema(
    error: ValidationError, tree: Tree, root: type[BaseModel], hints: dict[Loc, str]
) -> list[Found]:
    """Each schema error once, placed on the line of the value it is about."""
    return [_one(detail, tree, root, hints) for detail in error.errors()]


def _one(detail: ErrorDetails, tree: Tree, root: type[BaseModel], hints: dict[Loc, str]) -> Found:
    loc: Loc = tuple(detail["loc"])
    kind = detail["type"]
    if kind == "playbook":
        context = detail.get("ctx") or {}
        at = (*loc, context["field"]) if context.get("field") else loc
        return tree.line(at), at, str(context["message"])
    if kind == "missing":
        if loc in hints:
            return tree.line(()), loc, hints[loc]
        return tree.line(loc[:-1]), loc[:-1], f"`{loc[-1]}` is required"
    if kind == "extra_forbidden":
        names = ", ".join(sorted(field_names(root, loc[:-1])))
        return tree.key_lines.get(loc, tree.line(loc)), loc, f"unknown field (use {names})"
    return tree.line(loc), loc, SHAPES.get(kind, detail["msg"])


# PyYAML's words for what is wrong, in the words of someone editing the file.
YAML_PROBLEMS = (
    ("mapping values are not allowed", "a `:` where YAML does not expect one: put text that "
     "holds `: ` in quotes, or check this line's indentation"),
    ("could not find expected ':'", "this line is not `field: value`: a `:` is missing, or the "
     "indentation does not match the lines above"),
    ("cannot start any token", "a character YAML cannot start a value with here (a tab? "
     "indent with spaces, and put text starting with `@`, `%` or a backtick in quotes)"),
    ("expected <block end>", "the indentation does not line up with the lines above"),
    ("did not find expected key", "the indentation does not line up with the lines above"),
    ("did not find expected '-' indicator", "a list item is not lined up with the other `- ` items"),
    ("found undefined alias", "an alias (`*name`) refers to an anchor (`&name`) that is not defined"),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("expected ',' or ']'", "a `[` list is not closed with `]` (or a comma is missing)"),
    ("expected ',' or '}'", "a `{` mapping is not closed with `}` (or a comma is missing)"),
    ("found duplicate anchor", "the same anchor (`&name`) is defined twice"),
    ("expected alphabetic or numeric character", "an anchor or alias (`&` or `*`) without a "
     "name: put text starting with `&` or `*` in quotes"),
    ("found unknown escape character", "an unknown `\\` escape in a double-quoted text: use "
     "single quotes, or write `\\\\`"),
)  # fmt: skip


def yaml_syntax(error: Exception, source: str, text: str) -> str:
    """A YAML syntax error as one line: `file:line: not valid YAML: what is wrong`."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is not None:
        line = f":{mark.line + 1}"
    elif isinstance(error, yaml.reader.ReaderError):  # a character no YAML file may hold
        line = f":{text[: error.position].count(chr(10)) + 1}"
        return (
            f"{source}{line}: not valid YAML: an invisible control character "
            f"(U+{error.character:04X}) that a YAML file cannot hold; delete it"
        )
    else:
        line = ""
    said = " ".join(str(getattr(error, part, "") or "") for part in ("context", "problem"))
    said = said.strip() or str(error)
    plain = next((words for key, words in YAML_PROBLEMS if key in said), None)
    return f"{source}{line}: not valid YAML: {plain or said}"


def as_lines(found: list[Found], source: str) -> list[str]:
    """Every problem once, in the order of the file's lines."""
    lines: dict[str, None] = {}
    for line, loc, message in sorted(found, key=lambda item: item[0]):
        where = f" {path_of(loc)}:" if loc else ""
        lines[f"{source}:{line}:{where} {message}"] = None
    return list(lines)


def field_names(root: type[BaseModel], loc: Loc) -> list[str]:
    """The names a mapping at `loc` may hold, as the file spells them."""
    model = _type_at(root, loc)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _type_at(current: Any, loc: Loc) -> Any:
    for part in loc:
        current = _bare(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            current = next(
                info.annotation
                for name, info in current.model_fields.items()
                if (info.alias or name) == part
            )
        else:  # list[X] by index, dict[str, X] by key
            current = get_args(current)[-1]
    return _bare(current)


def _bare(annotation: Any) -> Any:
    """`X` from `Annotated[X, ...]` and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation
