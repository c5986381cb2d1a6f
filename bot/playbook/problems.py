"""Schema errors as the playbook's author reads them: `file:line: field: problem`."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

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
