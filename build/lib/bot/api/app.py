"""The API's WSGI app (flask-openapi3), mounted at /api/v1 beside /slack/events."""

from __future__ import annotations

from typing import Any

from flask import redirect
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI

from bot.api import activities, okr_writes, okrs
from bot.api.auth import Authenticator
from bot.api.errors import PREFIX, PROBLEM, install_handlers, validation_problem
from bot.api.models import Problem
from bot.services import Services

MAX_BODY = 2_000_000  # bytes: 500 activities fit many times over


class ProblemDocs(OpenAPI):
    """Documents every error answer as `application/problem+json`, as it is sent."""

    @property
    def api_doc(self) -> dict[str, Any]:
        document: dict[str, Any] = super().api_doc
        for path in document.get("paths", {}).values():
            for operation in path.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content") or {}
                    if str(status)[0] in "45" and "application/json" in content:
                        answer["content"] = {PROBLEM: content["application/json"]}
        return document


def build_api(services: Services) -> OpenAPI:
    """The API app on `services`: its routes, problem details, and its docs."""
    app = ProblemDocs(
        __name__,
        info=Info(title="okrbot API", version="1"),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        doc_prefix=PREFIX,
        doc_url="/openapi.json",
        validation_error_status=422,
        validation_error_model=Problem,
        validation_error_callback=validation_problem,
    )
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    install_handlers(app)
    api = APIBlueprint("v1", __name__, url_prefix=PREFIX, abp_security=[{"bearer": []}])
    auth = Authenticator(services)
    activities.register(api, services, auth)
    activities.register_reading(api, services, auth)
    activities.register_points(api, services, auth)
    activities.register_exports(api, services, auth)
    activities.register_hooks(api, services, auth)
    okrs.register_checkins(api, services, auth)
    okrs.register_objectives(api, services, auth)
    okrs.register_leaderboard(api, services, auth)
    okrs.register_key_result(api, services, auth)
    okr_writes.register_okr_writes(api, services, auth)
    app.register_api(api)
    app.add_url_rule(f"{PREFIX}/docs", "docs", lambda: redirect(f"{PREFIX}/swagger"))
    return app
