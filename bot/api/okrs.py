"""`/api/v1/objectives` and key-result check-ins."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response
from flask_openapi3.blueprint import APIBlueprint

from bot.api.errors import json_answer
from bot.api.models import Problem
from bot.api.okr_models import (
    BoardRow,
    CheckinIn,
    CheckinOut,
    KeyResultOut,
    KeyResultPath,
    LeaderboardOut,
    LeaderboardQuery,
    NeedOut,
    ObjectiveOut,
    ObjectivesOut,
)
from bot.domain.errors import NotFound
from bot.services import Services
from bot.services.integrations.api import Caller
from bot.services.okrs.checkins import CheckinRow
from bot.services.okrs.okr_view_models import KRView, ObjectiveView


def register_checkins(api: APIBlueprint, services: Services, caller: Callable[..., Caller]) -> None:
    """Add `/key-results/{ref}/check-ins` to `api`."""

    @api.post(
        "/key-results/<ref>/check-ins",
        responses={
            201: CheckinOut,
            401: Problem,
            403: Problem,
            404: Problem,
            422: Problem,
            429: Problem,
        },
        summary="Check in on a key result for a member, with their rights (owner or manager)",
    )
    def post_checkin(path: KeyResultPath, body: CheckinIn) -> Response:
        row = CheckinRow(
            ref=path.ref, value=body.value, confidence=str(body.confidence), note=body.note
        )
        result = services.api.check_in(caller(), path.ref, body.member, row)
        answer = CheckinOut(
            key_result=result.view.ref,
            progress=result.view.progress,
            checkin_points=result.checkin_points,
            achieved_points=result.achieved_points,
        )
        return json_answer(answer, 201)


def register_objectives(
    api: APIBlueprint, services: Services, caller: Callable[..., Caller]
) -> None:
    """Add `GET /objectives` to `api`."""

    @api.get(
        "/objectives",
        responses={200: ObjectivesOut, 401: Problem, 403: Problem, 429: Problem},
        summary="The current cycle's objectives and key results, with pace and what is needed",
    )
    def get_objectives() -> Response:
        cycle, objectives = services.api.objectives(caller())
        answer = ObjectivesOut(
            cycle=cycle.name,
            expected=cycle.expected,
            ends=cycle.ends,
            objectives=[objective_out(o) for o in objectives],
        )
        return json_answer(answer)


def register_key_result(
    api: APIBlueprint, services: Services, caller: Callable[..., Caller]
) -> None:
    """Add `GET /key-results/{ref}` to `api`."""

    @api.get(
        "/key-results/<ref>",
        responses={
            200: KeyResultOut,
            401: Problem,
            403: Problem,
            404: Problem,
            422: Problem,
            429: Problem,
        },
        summary="One key result of the current cycle, with pace, confidence and what is needed",
    )
    def get_key_result(path: KeyResultPath) -> Response:
        _cycle, objectives = services.api.objectives(caller())
        wanted = path.ref.upper()
        found = next((kr for o in objectives for kr in o.key_results if kr.ref == wanted), None)
        if found is None:
            raise NotFound(f"There is no key result `{wanted}` in the current cycle.")
        return json_answer(key_result_out(found))


def objective_out(o: ObjectiveView) -> ObjectiveOut:
    return ObjectiveOut(
        ref=o.ref,
        title=o.title,
        level=str(o.level),
        kind=o.kind,
        progress=o.progress,
        status=o.status.label,
        parent=o.parent_ref,
        key_results=[key_result_out(kr) for kr in o.key_results],
    )


def key_result_out(kr: KRView) -> KeyResultOut:
    needs = [
        NeedOut(
            activity=n.facts.activity, outlook=n.outlook.value, more=n.more, per_week=n.per_week
        )
        for n in kr.needs
    ]
    return KeyResultOut(
        ref=kr.ref,
        title=kr.title,
        owner=kr.owner_id,
        type=kr.kr_type,
        unit=kr.unit,
        start=kr.start,
        target=kr.target,
        current=kr.current,
        progress=kr.progress,
        status=kr.status.label,
        stale=kr.stale,
        confidence=kr.confidences[-1] if kr.confidences else None,
        last_checkin=kr.last_checkin,
        points=kr.points,
        needs=needs,
    )


def register_leaderboard(
    api: APIBlueprint, services: Services, caller: Callable[..., Caller]
) -> None:
    """Add `GET /leaderboard` to `api`."""

    @api.get(
        "/leaderboard",
        responses={
            200: LeaderboardOut,
            401: Problem,
            403: Problem,
            404: Problem,
            422: Problem,
            429: Problem,
        },
        summary="Who leads a team, or the workspace, over a period",
    )
    def get_leaderboard(query: LeaderboardQuery) -> Response:
        board = services.api.leaderboard(caller(), query.period, query.team)
        answer = LeaderboardOut(
            period=board.period.label,
            start=board.period.start,
            end=board.period.end,
            team=board.team,
            members=board.size,
            top=[
                BoardRow(
                    rank=row.rank,
                    member=row.user_id,
                    name=board.names.get(row.user_id),
                    activity=row.activity_points,
                    result=row.result_points,
                    total=row.points,
                )
                for row in board.top
            ],
        )
        return json_answer(answer)
