"""`/api/v1/activities`: log activities, and read them a page at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from flask import Response, request
from flask_openapi3.blueprint import APIBlueprint

from bot.api.errors import ApiError, json_answer
from bot.api.models import (
    ActivitiesIn,
    ActivityOut,
    ActivityPage,
    ActivityQuery,
    ExportPath,
    HookBody,
    HookPath,
    IdempotencyHeader,
    Logged,
    LoggedOut,
    PeriodPoints,
    PointsOut,
    PointsQuery,
    Problem,
)
from bot.services import Services
from bot.services.integrations.api import ActivityIn, Caller
from bot.services.integrations.csv_export import COLUMNS, spreadsheet_safe

MAX_ID = 2**31 - 1  # log ids are 32-bit: no cursor goes past the last


def register(api: APIBlueprint, services: Services, caller: Callable[[], Caller]) -> None:
    """Add the activity routes to `api`."""

    @api.post(
        "/activities",
        responses={
            201: LoggedOut,
            401: Problem,
            403: Problem,
            409: Problem,
            413: Problem,
            422: Problem,
            429: Problem,
        },
        summary="Log activities (up to 500), with /log's rules and caps",
    )
    def post_activities(body: ActivitiesIn, header: IdempotencyHeader) -> Response:
        who = caller()
        key = header.idempotency_key
        raw = request.get_data()
        if key is not None:
            seen = services.api.begin(who, key, raw)
            if seen is not None:
                return json_answer(seen[1], seen[0])
        items = [ActivityIn(**item.model_dump()) for item in body.activities]
        try:
            logged = services.api.log_activities(who, items)
        except Exception:
            if key is not None:
                services.api.abandon(who, key)
            raise
        answer = LoggedOut(activities=[Logged(**vars(item)) for item in logged]).model_dump()
        if key is not None:
            services.api.finish(who, key, 201, answer)
        return json_answer(answer, 201)


def register_reading(api: APIBlueprint, services: Services, caller: Callable[[], Caller]) -> None:
    """Add `GET /activities` to `api`."""

    @api.get(
        "/activities",
        responses={200: ActivityPage, 401: Problem, 403: Problem, 422: Problem, 429: Problem},
        summary="The workspace's activities, oldest first, a page at a time",
    )
    def get_activities(query: ActivityQuery) -> Response:
        who = caller()
        until = query.until or datetime.now(UTC).date()
        since = query.since or until - timedelta(days=90)
        if since > until:
            raise ApiError(422, "Invalid request", "`since` must not be after `until`.")
        rows = services.api.activities_page(
            who,
            [query.member] if query.member else None,
            _start(since),
            _start(until + timedelta(days=1)),
            after=min(int(query.cursor or 0), MAX_ID),
            size=query.limit,
        )
        page = ActivityPage(
            activities=[ActivityOut(**vars(row)) for row in rows],
            next_cursor=str(rows[-1].id) if len(rows) == query.limit else None,
        )
        return json_answer(page)


def register_points(api: APIBlueprint, services: Services, caller: Callable[[], Caller]) -> None:
    """Add `/points` to `api`."""

    @api.get(
        "/points",
        responses={
            200: PointsOut,
            401: Problem,
            403: Problem,
            404: Problem,
            422: Problem,
            429: Problem,
        },
        summary="A member's points this week and this quarter, and their streak",
    )
    def get_points(query: PointsQuery) -> Response:
        summary = services.api.points(caller(), query.member)
        periods = {
            name: PeriodPoints(
                label=t.period.label,
                start=t.period.start,
                end=t.period.end,
                activity=t.activity,
                result=t.result,
                total=t.total,
            )
            for name, t in (("week", summary.week), ("quarter", summary.quarter))
        }
        answer = PointsOut(member=summary.user_id, streak=summary.streak, **periods)
        return json_answer(answer)


def register_exports(api: APIBlueprint, services: Services, caller: Callable[[], Caller]) -> None:
    """Add `/exports/{table}.csv` to `api`: the CSV files `okrbot export --csv` writes."""

    @api.get(
        "/exports/<table>.csv",
        responses={
            200: {"description": "The table as CSV", "content": {"text/csv": {}}},
            401: Problem,
            403: Problem,
            404: Problem,
            422: Problem,
            429: Problem,
        },
        summary="A table of the workspace as CSV, with the API's column names",
    )
    def get_export(path: ExportPath) -> Response:
        who = caller()
        who.require("points:read" if path.table in ("activities", "points") else "okrs:read")
        rows = services.exports.tables(who.workspace)[path.table]

        def lines() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(COLUMNS[path.table])
            for row in rows:
                writer.writerow(spreadsheet_safe(row))
                if buffer.tell() > 65_536:  # stream in pieces of about 64 kB
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        return Response(lines(), status=200, content_type="text/csv; charset=utf-8")


def _start(day: date) -> datetime:
    return datetime.combine(day, clock_time(0), tzinfo=UTC)


def register_hooks(api: APIBlueprint, services: Services, caller: Callable[..., Caller]) -> None:
    """Add `/hooks/{source}` to `api`: CRM webhooks, mapped by the playbook's integrations."""

    @api.post(
        "/hooks/<source>",
        responses={200: LoggedOut, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
        summary="A CRM's webhook (HubSpot, Salesforce…), mapped to activities",
    )
    def post_hook(path: HookPath, body: HookBody) -> Response:
        who = caller(limited=False)
        logged = services.hooks.receive(who, path.source, body.root)
        answer = LoggedOut(activities=[Logged(**vars(item)) for item in logged])
        return json_answer(answer)
