"""Schemathesis against /api/v1/openapi.json with a valid token: generated requests find no
5xx and no answer that breaks the document. A fixed, derandomised budget per operation."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import Engine

from bot.services import Services
from tests.conftest import FakeClock, Server
from tests.helpers import import_playbook

BUDGET = 40  # examples per operation


def test_generated_requests_get_no_5xx_and_answers_that_keep_to_the_document(
    server: Server, db: Engine, clock: FakeClock, services: Services
) -> None:
    import_playbook(db, clock)
    scopes = ["activities:write", "points:read", "okrs:read", "checkins:write", "okrs:write"]
    secret = services.api.create_token("T0001", "schemathesis", scopes)
    headers = {"Authorization": f"Bearer {secret[1]}"}
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {
        "GET /api/v1/activities",
        "POST /api/v1/activities",
        "GET /api/v1/points",
        "GET /api/v1/exports/{table}.csv",
        "POST /api/v1/hooks/{source}",
        "POST /api/v1/key-results/{ref}/check-ins",
        "GET /api/v1/objectives",
        "GET /api/v1/leaderboard",
        "GET /api/v1/key-results/{ref}",
        "POST /api/v1/objectives",
        "PATCH /api/v1/objectives/{ref}",
        "POST /api/v1/key-results",
        "PATCH /api/v1/key-results/{ref}",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=BUDGET,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            # Well-formed requests may still name a member or activity the workspace lacks:
            # those get a documented 422, so "valid data is accepted" is not asked for.
            clock.advance(seconds=1)  # within the token's rate, so nothing is answered 429
            case.call_and_validate(
                base_url=server.url,
                headers=headers,
                excluded_checks=[positive_data_acceptance],
            )

        check()
