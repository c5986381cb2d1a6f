"""Objectives and key results changed and added through the API: with the acting member's
rights in Slack, the new-objective form's rules, consent on points, and nothing changed by a
refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.sandbox.slack_requests import SlackSender
from bot.services import Services
from storage.models import KeyResult, LedgerEntry
from tests.conftest import FakeClock, Server
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts
from tests.test_api import call


@pytest.fixture
def api(db: Engine, server: Server, clock: FakeClock) -> SlackSender:
    import_playbook(db, clock, OKR_PLAYBOOK)
    return SlackSender(base_url=server.url, secret="", response_url="")


@pytest.fixture
def token(services: Services, api: SlackSender) -> str:
    return services.api.create_token("T0001", "planner", ["okrs:write", "okrs:read"])[1]


def objective(api: SlackSender, token: str, ref: str) -> dict[str, Any]:
    listed = json.loads(call(api, "GET", "/api/v1/objectives", token).body)["objectives"]
    return next(o for o in listed if o["ref"] == ref)


def key_result(db: Engine, ref: str) -> KeyResult:
    with db.connect() as connection:
        row = connection.execute(
            select(KeyResult).where(KeyResult.workspace_id == "T0001", KeyResult.ref == ref)
        ).one()
        return KeyResult(**row._asdict())


def paid(db: Engine, user: str) -> int:
    with db.connect() as connection:
        query = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.workspace_id == "T0001",
            LedgerEntry.user_id == user,
            LedgerEntry.reason == "kr_achieved",
        )
        return int(connection.scalar(query) or 0)


def test_a_teams_manager_changes_its_objective_and_a_rep_may_not(
    api: SlackSender, token: str, db: Engine
) -> None:
    change = {"member": "U0MANAGER", "title": "Win the whole East", "kind": "aspirational"}
    changed = call(api, "PATCH", "/api/v1/objectives/o1", token, change)
    assert changed.status == 200, changed.body
    assert (json.loads(changed.body)["title"], objective(api, token, "O1")["kind"]) == (
        "Win the whole East",
        "aspirational",
    )
    before = row_counts(db)
    rep = call(api, "PATCH", "/api/v1/objectives/O1", token, {**change, "member": "U0REP2"})
    assert rep.status == 403
    assert "managers of Sales East" in json.loads(rep.body)["detail"]
    assert objective(api, token, "O1")["title"] == "Win the whole East"
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("change", "status", "pointer"),
    [
        ({"parent": "O2"}, 422, "/parent"),  # O2 aligns with O1: a loop
        ({"title": "x" * 151}, 422, "/title"),
        ({"title": "  "}, 422, "/title"),
        ({"kind": "stretch"}, 422, "/kind"),
        ({"parent": "O99"}, 404, None),
    ],
)
def test_a_bad_objective_change_is_refused_and_changes_nothing(
    api: SlackSender,
    token: str,
    db: Engine,
    change: dict[str, Any],
    status: int,
    pointer: str | None,
) -> None:
    before = objective(api, token, "O1")
    refused = call(api, "PATCH", "/api/v1/objectives/O1", token, {"member": "U0MANAGER", **change})
    assert refused.status == status, refused.body
    if pointer:
        assert pointer in [e["pointer"] for e in json.loads(refused.body)["errors"]]
    assert objective(api, token, "O1") == before


def test_archiving_an_objective_archives_its_key_results_and_restoring_brings_them_back(
    api: SlackSender, token: str
) -> None:
    archive = {"member": "U0REP1", "archived": True}
    assert call(api, "PATCH", "/api/v1/objectives/O2", token, archive).status == 200
    assert "O2" not in [
        o["ref"]
        for o in json.loads(call(api, "GET", "/api/v1/objectives", token).body)["objectives"]
    ]
    assert call(api, "GET", "/api/v1/key-results/K3", token).status == 404
    restore = {"member": "U0REP1", "archived": False}
    assert call(api, "PATCH", "/api/v1/objectives/O2", token, restore).status == 200
    assert [kr["ref"] for kr in objective(api, token, "O2")["key_results"]] == ["K3", "K4"]


def test_a_key_result_is_added_with_the_forms_rules_and_its_owners_points_wait_for_approval(
    api: SlackSender, token: str, db: Engine
) -> None:
    new = {
        "member": "U0REP1",
        "objective": "O2",
        "title": "Upsell 3 accounts",
        "target": 3,
        "unit": "accounts",
        "points": 40,
    }
    before = row_counts(db)
    missing = call(api, "POST", "/api/v1/key-results", token, {**new, "target": None})
    assert missing.status == 422
    assert "/target" in [e["pointer"] for e in json.loads(missing.body)["errors"]]
    other = call(api, "POST", "/api/v1/key-results", token, {**new, "member": "U0REP2"})
    assert other.status == 403  # O2 is U0REP1's personal objective
    assert row_counts(db) == before
    added = call(api, "POST", "/api/v1/key-results", token, new)
    assert added.status == 201, added.body
    ref = json.loads(added.body)["ref"]
    assert ref in [kr["ref"] for kr in objective(api, token, "O2")["key_results"]]
    assert not key_result(db, ref).points_approved  # no one awards themselves points


def test_a_key_result_change_keeps_consent_and_pays_when_it_becomes_achieved(
    api: SlackSender, token: str, db: Engine, services: Services
) -> None:
    services.okrs.check_in("T0001", "U0REP1", [_row("K1", "8")])
    mine = call(api, "PATCH", "/api/v1/key-results/K1", token, {"member": "U0REP1", "points": 900})
    assert mine.status == 403  # K1 is on the team's objective: its managers change it
    raised = {"member": "U0MANAGER", "points": 150, "title": "Close 8 deals", "target": 8}
    changed = call(api, "PATCH", "/api/v1/key-results/k1", token, raised)
    assert changed.status == 200, changed.body
    view = json.loads(changed.body)
    assert (view["title"], view["target"], view["points"], view["progress"]) == (
        "Close 8 deals",
        8,
        150,
        1.0,
    )
    assert paid(db, "U0REP1") == 150  # reaching the new target pays, once
    settled = call(api, "PATCH", "/api/v1/key-results/K1", token, {**raised, "points": 10})
    assert settled.status == 422
    assert "settled" in json.loads(settled.body)["errors"][0]["detail"]
    assert key_result(db, "K1").points == 150


def test_an_owner_raising_their_own_points_needs_approval_again(
    api: SlackSender, token: str, db: Engine
) -> None:
    assert key_result(db, "K3").points_approved
    raised = call(api, "PATCH", "/api/v1/key-results/K3", token, {"member": "U0REP1", "points": 90})
    assert raised.status == 200, raised.body
    assert not key_result(db, "K3").points_approved
    renamed = {"member": "U0REP1", "title": "Churn under 4%"}
    assert call(api, "PATCH", "/api/v1/key-results/K4", token, renamed).status == 200
    assert key_result(db, "K4").points_approved  # the points did not change


@pytest.mark.parametrize(
    "change",
    [
        {"points": -1},
        {"points": 10**9},
        {"target": "Infinity"},
        {"unit": "u" * 31},
        {"owner": "U0REP2"},
    ],
)
def test_a_bad_key_result_change_is_refused_and_changes_nothing(
    api: SlackSender, token: str, db: Engine, change: dict[str, Any]
) -> None:
    before = key_result(db, "K1")
    body = json.dumps({"member": "U0MANAGER", **change}).replace('"Infinity"', "Infinity")
    refused = api.raw(
        "PATCH",
        "/api/v1/key-results/K1",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert refused.status == 422, refused.body
    after = key_result(db, "K1")
    assert (after.points, after.target_value, after.unit) == (
        before.points,
        before.target_value,
        before.unit,
    )


def test_okr_writes_need_the_scope_and_stay_in_the_tokens_workspace(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK.replace("workspace: T0001", "workspace: T0002"))
    reader = services.api.create_token("T0001", "bi", ["okrs:read"])[1]
    change = {"member": "U0MANAGER", "title": "Mine now"}
    assert call(api, "PATCH", "/api/v1/objectives/O1", reader, change).status == 403
    theirs = services.api.create_token("T0002", "other", ["okrs:write", "okrs:read"])[1]
    assert call(api, "PATCH", "/api/v1/objectives/O1", theirs, change).status == 200
    ours = services.api.create_token("T0001", "ours", ["okrs:read"])[1]
    assert objective(api, ours, "O1")["title"] == "Win the East coast"  # T0002's O1 changed


def _row(ref: str, value: str) -> Any:
    from bot.services.okrs.checkins import CheckinRow

    return CheckinRow(ref=ref, value=value, confidence="7", note="")


def test_an_owner_lowering_their_own_target_is_not_paid_without_approval(
    api: SlackSender, token: str, db: Engine
) -> None:
    lowered = {"member": "U0REP1", "target": 1}
    assert call(api, "PATCH", "/api/v1/key-results/K3", token, lowered).status == 200
    assert not key_result(db, "K3").points_approved  # a new bar the owner set themselves
    assert paid(db, "U0REP1") == 0
