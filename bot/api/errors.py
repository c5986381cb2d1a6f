"""Answers in RFC 9457 form (`application/problem+json`), for every error the API gives."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_openapi3.openapi import OpenAPI
from pydantic import BaseModel, ValidationError

from bot.api.models import Problem
from bot.domain.errors import Busy, NotAllowed, NotFound, UserError
from bot.services.integrations.api import BatchProblems, InProgress

PREFIX = "/api/v1"
PROBLEM = "application/problem+json"


class ApiError(Exception):
    """An answer in RFC 9457 form."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def json_answer(body: BaseModel | dict[str, Any], status: int = 200) -> Response:
    """A JSON answer: a model, or a stored one."""
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body)
    return Response(text, status=status, content_type="application/json")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    errors = extra.pop("errors", [])
    body = Problem(title=title, status=status, detail=detail, errors=errors).model_dump()
    response = Response(json.dumps(body), status=status, content_type=PROBLEM)
    for name, value in extra.items():
        response.headers[name] = str(value)
    return response


NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type", "json_invalid", "json_type"}


def _body_shape(model_name: str) -> str:
    """What a request body must be, said by the fields it needs: `a JSON object with
    `activities``."""
    from bot.api import models, okr_models

    model = getattr(models, model_name, None) or getattr(okr_models, model_name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return "a JSON object (see /api/v1/docs)"
    needed = [f"`{name}`" for name, field in model.model_fields.items() if field.is_required()]
    return (
        f"a JSON object with {', '.join(needed)} (see /api/v1/docs)"
        if needed
        else ("a JSON object (see /api/v1/docs)")
    )


def validation_problem(error: ValidationError) -> Response:
    errors = []
    for item in error.errors():
        detail = item["msg"]
        if not item["loc"] and item["type"] in NOT_AN_OBJECT:  # the whole body is wrong
            detail = f"The body must be {_body_shape(error.title)}."
        errors.append(
            {"pointer": "/" + "/".join(str(part) for part in item["loc"]), "detail": detail}
        )
    return problem(422, "Invalid request", "Fix the fields listed in `errors`.", errors=errors)


def install_handlers(app: OpenAPI) -> None:
    """Every error the API raises, answered as problem details."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return problem(error.status, error.title, error.detail, **error.extra)

    @app.errorhandler(BatchProblems)
    def _batch(error: BatchProblems) -> Response:
        errors = [{"pointer": pointer, "detail": detail} for pointer, detail in error.problems]
        return problem(422, "Invalid request", error.message, errors=errors)

    @app.errorhandler(InProgress)
    def _in_progress(error: InProgress) -> Response:
        return problem(409, "In progress", error.message, **{"Retry-After": 1})

    @app.errorhandler(Busy)
    def _busy(_error: Busy) -> Response:
        detail = "The database was busy and nothing was stored; send the same request again."
        return problem(503, "Busy", detail, **{"Retry-After": 1})

    @app.errorhandler(UserError)
    def _user_error(error: UserError) -> Response:
        status = (
            403 if isinstance(error, NotAllowed) else 404 if isinstance(error, NotFound) else 422
        )
        return problem(status, "Refused", error.message)

    @app.errorhandler(413)
    def _too_large(_error: Exception) -> Response:
        return problem(
            413, "Too large", "The body is over 2 MB: send at most 500 activities a request."
        )

    @app.errorhandler(RecursionError)
    def _too_deep(_error: Exception) -> Response:
        return problem(400, "Invalid request", "The JSON nests too deeply.")

    @app.errorhandler(404)
    def _not_found(_error: Exception) -> Response:
        return problem(404, "Not found", f"No such endpoint; see {PREFIX}/docs.")

    @app.errorhandler(405)
    def _not_allowed(_error: Exception) -> Response:
        return problem(405, "Method not allowed", f"See {PREFIX}/docs for what each path takes.")
