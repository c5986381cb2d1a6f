"""`POST /objectives`, `PATCH /objectives/{ref}`, `POST /key-results` and
`PATCH /key-results/{ref}`: made for a member, with that member's rights in Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response
from flask_openapi3.blueprint import APIBlueprint

from bot.api.errors import json_answer
from bot.api.models import Problem
from bot.api.okr_models import (
    KeyResultIn,
    KeyResultNew,
    KeyResultOut,
    KeyResultPatch,
    KeyResultPath,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePatch,
    ObjectivePath,
)
from bot.api.okrs import key_result_out, objective_out
from bot.domain.errors import NotAllowed, NotFound, UserError
from bot.domain.objective_drafts import KRDraft, ObjectiveDraft, kr_field_parts
from bot.services import Services
from bot.services.integrations.api import BatchProblems, Caller
from bot.services.okrs.okr_types import KeyResultChange, ObjectiveChange

ANSWERS: dict[str | int, Any] = {
    401: Problem,
    403: Problem,
    404: Problem,
    422: Problem,
    429: Problem,
}


def register_okr_writes(
    api: APIBlueprint, services: Services, caller: Callable[..., Caller]
) -> None:
    """Add the OKR writes to `api`."""
    _register_objective_writes(api, services, caller)
    _register_key_result_writes(api, services, caller)


def _register_objective_writes(
    api: APIBlueprint, services: Services, caller: Callable[..., Caller]
) -> None:

    @api.post(
        "/objectives",
        responses={201: ObjectiveOut, **ANSWERS},
        summary="Create an objective with its key results, for a member with their rights",
    )
    def post_objective(body: ObjectiveIn) -> Response:
        who = caller()
        draft = ObjectiveDraft(
            title=body.title,
            level=body.level,
            kind=body.kind,
            team=body.team or "",
            parent=body.parent or "",
            key_results=[_draft(kr) for kr in body.key_results],
        )
        with _fields_named(_form_pointer):
            created = services.api.create_objective(who, body.member, draft)
        return json_answer(objective_out(created), 201)

    @api.patch(
        "/objectives/<ref>",
        responses={200: ObjectiveOut, **ANSWERS},
        summary="Change an objective's title, kind, alignment or archived state",
    )
    def patch_objective(path: ObjectivePath, body: ObjectivePatch) -> Response:
        who = caller()
        sent = body.model_fields_set
        change = ObjectiveChange(
            title=body.title,
            kind=body.kind,
            parent=(body.parent or "") if "parent" in sent else None,
            archived=body.archived,
        )
        with _fields_named(lambda field: f"/{field}"):
            changed = services.api.change_objective(who, body.member, path.ref, change)
        return json_answer(objective_out(changed))


def _register_key_result_writes(
    api: APIBlueprint, services: Services, caller: Callable[..., Caller]
) -> None:
    @api.post(
        "/key-results",
        responses={201: KeyResultOut, **ANSWERS},
        summary="Add a key result to an objective, as the new-objective form would",
    )
    def post_key_result(body: KeyResultNew) -> Response:
        who = caller()
        with _fields_named(lambda field: f"/{field}"):
            added = services.api.add_key_result(who, body.member, body.objective, _draft(body))
        return json_answer(key_result_out(added), 201)

    @api.patch(
        "/key-results/<ref>",
        responses={200: KeyResultOut, **ANSWERS},
        summary="Change a key result's title, start, target, unit, points or archived state",
    )
    def patch_key_result(path: KeyResultPath, body: KeyResultPatch) -> Response:
        who = caller()
        change = KeyResultChange(
            title=body.title,
            start=body.start,
            target=body.target,
            unit=body.unit,
            points=body.points,
            archived=body.archived,
        )
        with _fields_named(lambda field: f"/{field}"):
            changed = services.api.change_key_result(who, body.member, path.ref, change)
        return json_answer(key_result_out(changed))


def _draft(kr: KeyResultIn) -> KRDraft:
    return KRDraft(
        title=kr.title,
        kr_type=kr.type,
        start="" if kr.start is None else repr(kr.start),
        target="" if kr.target is None else repr(kr.target),
        unit=kr.unit,
        points=str(kr.points),
        owner=kr.owner or "",
        milestones=", ".join(kr.milestones),
    )


@contextmanager
def _fields_named(pointer: Callable[[str], str]) -> Iterator[None]:
    """A refusal that names a field becomes a 422 pointing at it in the body."""
    try:
        yield
    except UserError as error:
        if error.field is None or isinstance(error, NotAllowed | NotFound):
            raise
        raise BatchProblems([(pointer(error.field), error.message)]) from error


def _form_pointer(field: str) -> str:
    """`kr2_target` is `/key_results/1/target`; other fields are themselves."""
    parts = kr_field_parts(field)
    if parts is None:
        return f"/{field}"
    number, part = parts
    return f"/key_results/{number - 1}/{part}"
