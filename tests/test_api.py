"""The REST API at /api/v1, served beside /slack/events: tokens and scopes, activities in with
/log's rules, idempotent POSTs, problem details, pages of activities, and its OpenAPI 3.1."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.cli import main
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import Reply, SlackSender
from bot.services import Services
from bot.services.integrations.api import Throttled
from bot.services.okrs.checkins import CheckinRow
from storage.models import Member
from tests.conftest import FakeClock, Server
from tests.helpers import OKR_PLAYBOOK, PLAYBOOK, import_playbook, row_counts, rows_of

ALL = ["activities:write", "points:read"]


@pytest.fixture
def api(db: Engine, server: Server, clock: FakeClock) -> SlackSender:
    import_playbook(db, clock)
    return SlackSender(base_url=server.url, secret="", response_url="")


@pytest.fixture
def token(services: Services, api: SlackSender) -> str:
    return services.api.create_token("T0001", "hubspot", ALL)[1]


def call(
    api: SlackSender, method: str, path: str, token: str | None, body: Any = None, **headers: str
) -> Reply:
    sent = {"Content-Type": "application/json", **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return api.raw(method, path, json.dumps(body) if body is not None else "", sent)


def calls(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"activities": items}


def test_the_openapi_document_is_3_1_and_the_docs_are_served(api: SlackSender) -> None:
    spec = api.raw("GET", "/api/v1/openapi.json")
    assert spec.status == 200
    document = json.loads(spec.body)
    assert document["openapi"].startswith("3.1")
    assert {"get", "post"} <= set(document["paths"]["/api/v1/activities"])
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    docs = api.raw("GET", "/api/v1/docs")
    assert docs.status == 302
    assert api.raw("GET", docs.headers["Location"].removeprefix("http://localhost")).status == 200


def test_every_request_field_has_an_example_a_person_would_write(api: SlackSender) -> None:
    schemas = json.loads(api.raw("GET", "/api/v1/openapi.json").body)["components"]["schemas"]
    activity = schemas["ActivityIn"]["properties"]
    assert activity["member"]["example"] == "U0123ABCD"
    assert activity["activity"]["example"] == "call"
    for name in ("ActivityIn", "CheckinIn", "ObjectiveIn", "KeyResultIn"):
        for field, spec in schemas[name]["properties"].items():
            if field in ("kind", "level", "type", "key_results"):
                continue  # choices and nested objects show their own
            assert spec.get("example") is not None, f"{name}.{field} has no example"


@pytest.mark.parametrize("body", ["[1, 2]", '"calls"', "{", "17"])
def test_a_body_that_is_not_an_object_is_told_what_it_must_be(
    api: SlackSender, token: str, body: str, db: Engine
) -> None:
    before = row_counts(db)
    answer = api.raw(
        "POST",
        "/api/v1/activities",
        body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert answer.status == 422
    [error] = json.loads(answer.body)["errors"]
    assert error["detail"] == "The body must be a JSON object with `activities` (see /api/v1/docs)."
    assert row_counts(db) == before


def test_activities_are_logged_with_the_rules_and_caps_of_log(
    api: SlackSender, token: str, db: Engine
) -> None:
    body = calls(
        [
            {"member": "U0REP1", "activity": "call", "quantity": 3},
            {"member": "U0REP2", "activity": "demo", "quantity": 12, "note": "roadshow"},
        ]
    )
    reply = call(api, "POST", "/api/v1/activities", token, body)
    assert reply.status == 201
    logged = json.loads(reply.body)["activities"]
    assert [(a["member"], a["points"]) for a in logged] == [("U0REP1", 3), ("U0REP2", 50)]
    assert rows_of(db, "T0001")["activity_logs"] == 2  # demos are capped at 10 a day: 50 pts


def test_an_idempotency_key_returns_the_first_answer_and_refuses_another_body(
    api: SlackSender, token: str, db: Engine
) -> None:
    body = calls([{"member": "U0REP1", "activity": "call", "quantity": 2}])
    first = call(api, "POST", "/api/v1/activities", token, body, **{"Idempotency-Key": "k-1"})
    counts = row_counts(db)
    again = call(api, "POST", "/api/v1/activities", token, body, **{"Idempotency-Key": "k-1"})
    assert (again.status, json.loads(again.body)) == (first.status, json.loads(first.body))
    assert row_counts(db) == counts
    other = calls([{"member": "U0REP1", "activity": "call", "quantity": 5}])
    refused = call(api, "POST", "/api/v1/activities", token, other, **{"Idempotency-Key": "k-1"})
    assert refused.status == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "used with another body" in json.loads(refused.body)["detail"]
    assert row_counts(db) == counts


def test_an_external_id_is_logged_once_however_often_a_crm_retries(
    api: SlackSender, token: str, db: Engine
) -> None:
    item = {
        "member": "U0REP1",
        "activity": "demo",
        "external_id": "deal-7@1700000000",
        "source": "hubspot",
    }
    first = json.loads(call(api, "POST", "/api/v1/activities", token, calls([item])).body)
    retry = json.loads(call(api, "POST", "/api/v1/activities", token, calls([item])).body)
    assert retry == first
    assert rows_of(db, "T0001")["activity_logs"] == 1


@pytest.mark.parametrize(
    ("item", "pointer"),
    [
        ({"member": "U0REP1", "activity": "call", "quantity": 0}, "/activities/0/quantity"),
        ({"member": "bob", "activity": "call"}, "/activities/0/member"),
        ({"member": "U0NOBODY", "activity": "call"}, "/activities/0/member"),
        ({"member": "U0REP1", "activity": "juggling"}, "/activities/0/activity"),
        ({"member": "U0REP1", "activity": "call", "colour": "red"}, "/activities/0/colour"),
    ],
)
def test_bad_input_gets_a_problem_naming_the_field_and_stores_nothing(
    api: SlackSender, token: str, db: Engine, item: dict[str, Any], pointer: str
) -> None:
    good = {"member": "U0REP2", "activity": "call"}
    before = row_counts(db)
    reply = call(api, "POST", "/api/v1/activities", token, calls([good, item]))
    assert reply.status == 422
    assert reply.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(reply.body)
    assert pointer.replace("/0/", "/1/") in [e["pointer"] for e in problem["errors"]]
    assert row_counts(db) == before  # not even the good item


def test_tokens_need_the_right_scope_and_stop_working_when_revoked(
    api: SlackSender, services: Services, db: Engine
) -> None:
    reader_id, reader = services.api.create_token("T0001", "bi", ["points:read"])
    body = calls([{"member": "U0REP1", "activity": "call"}])
    assert call(api, "POST", "/api/v1/activities", None, body).status == 401
    assert call(api, "POST", "/api/v1/activities", "okr_made_up", body).status == 401
    forbidden = call(api, "POST", "/api/v1/activities", reader, body)
    assert forbidden.status == 403
    assert "lacks the `activities:write` scope" in json.loads(forbidden.body)["detail"]
    assert call(api, "GET", "/api/v1/activities", reader).status == 200
    services.api.revoke_token("T0001", reader_id)
    assert call(api, "GET", "/api/v1/activities", reader).status == 401
    assert rows_of(db, "T0001")["activity_logs"] == 0


def test_a_token_never_reaches_another_workspace(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, PLAYBOOK.replace("workspace: T0001", "workspace: T0002"))
    services.activities.log_text("T0001", "U0REP1", "proposal")
    theirs = services.api.create_token("T0002", "other", ALL)[1]
    page = json.loads(call(api, "GET", "/api/v1/activities", theirs).body)
    assert page["activities"] == []
    logged = call(
        api, "POST", "/api/v1/activities", theirs, calls([{"member": "U0REP1", "activity": "call"}])
    )
    assert logged.status == 201
    assert rows_of(db, "T0001")["activity_logs"] == 1
    assert rows_of(db, "T0002")["activity_logs"] == 1


def test_a_thousand_activities_page_through_without_gaps_or_repeats(
    api: SlackSender, token: str, services: Services
) -> None:
    for n in range(1000):
        services.activities.log_text("T0001", f"U0REP{n % 3 + 1}", "call")
    seen: list[int] = []
    cursor = ""
    for _ in range(20):
        page = json.loads(call(api, "GET", f"/api/v1/activities?limit=100{cursor}", token).body)
        seen += [a["id"] for a in page["activities"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert len(seen) == 1000
    assert len(set(seen)) == 1000
    assert seen == sorted(seen)
    mine = json.loads(call(api, "GET", "/api/v1/activities?member=U0REP2&limit=500", token).body)
    assert {a["member"] for a in mine["activities"]} == {"U0REP2"}


def test_a_token_that_sends_too_fast_is_told_when_to_come_back(
    api: SlackSender, token: str, db: Engine, clock: FakeClock
) -> None:
    answers = [call(api, "GET", "/api/v1/activities?limit=1", token) for _ in range(101)]
    assert [a.status for a in answers[:100]] == [200] * 100  # a burst of 100 is allowed
    limited = answers[-1]
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "1"  # 20 a second come back
    assert json.loads(limited.body)["title"] == "Too many requests"
    # The budget is the token's, not one process's: another server process sees it spent.
    with pytest.raises(Throttled):
        build_services(db, clock).api.authenticate(token)
    clock.advance(seconds=1)
    again = [call(api, "GET", "/api/v1/activities?limit=1", token) for _ in range(21)]
    assert [a.status for a in again] == [200] * 20 + [429]


def test_api_tokens_from_the_command_line(
    api: SlackSender,
    db: Engine,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    args = ["api-token", "create", "T0001", "--name", "hubspot", "--scopes", "activities:write"]
    assert main(args, clock) == 0
    printed = capsys.readouterr().out
    token_id = printed.split()[1]
    secret = printed.splitlines()[1]
    assert secret.startswith("okr_")
    assert "only time it is shown" in printed
    assert main(["api-token", "list", "T0001"], clock) == 0
    listing = capsys.readouterr().out
    assert "hubspot" in listing
    assert secret not in listing
    body = calls([{"member": "U0REP1", "activity": "call"}])
    assert call(api, "POST", "/api/v1/activities", secret, body).status == 201
    assert main(["api-token", "revoke", "T0001", token_id], clock) == 0
    assert call(api, "POST", "/api/v1/activities", secret, body).status == 401
    assert main(["api-token", "create", "T0001", "--name", "x", "--scopes", "admin"], clock) == 2
    assert "Scopes must be some of" in capsys.readouterr().err


def test_points_for_a_member_are_what_points_shows_them(
    api: SlackSender, token: str, services: Services, db: Engine
) -> None:
    services.activities.log_text("T0001", "U0REP1", "proposal 2")
    services.activities.log_text("T0001", "U0REP1", "call 3")
    reply = call(api, "GET", "/api/v1/points?member=U0REP1", token)
    assert reply.status == 200
    points = json.loads(reply.body)
    shown = services.standings.points("T0001", "U0REP1")
    assert (points["week"]["total"], points["quarter"]["activity"]) == (23, 23)
    assert points["week"]["total"] == shown.week.total
    assert points["week"]["label"] == shown.week.period.label
    assert points["streak"] == shown.streak
    missing = call(api, "GET", "/api/v1/points?member=U0NOBODY", token)
    assert missing.status == 404
    assert "not a member of this workspace" in json.loads(missing.body)["detail"]
    writer = services.api.create_token("T0001", "crm", ["activities:write"])[1]
    assert call(api, "GET", "/api/v1/points?member=U0REP1", writer).status == 403


def test_a_csv_export_reads_back_with_a_csv_reader_and_matches_the_api(
    api: SlackSender,
    services: Services,
    db: Engine,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    with db.begin() as connection:  # a name from the member's Slack profile
        connection.execute(update(Member).where(Member.user_id == "U0REP1").values(name="Ann Lee"))
    services.activities.log_text("T0001", "U0REP1", 'demo 2 with a note, and "quotes"')
    services.okrs.check_in(
        "T0001", "U0REP1", [CheckinRow(ref="K1", value="6", confidence="7", note="first deals")]
    )
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    assert main(["export", "T0001", "--csv", str(tmp_path / "out")], clock) == 0
    assert "Wrote 1 rows to" in capsys.readouterr().err

    def read(name: str) -> list[dict[str, str]]:
        with (tmp_path / "out" / f"{name}.csv").open(newline="", encoding="utf-8") as file:
            return list(csv.DictReader(file))

    [activity] = read("activities")
    assert (activity["member"], activity["activity"], activity["points"]) == (
        "U0REP1",
        "demo",
        "10",
    )
    assert activity["note"] == 'with a note, and "quotes"'
    assert activity["member_name"] == "Ann Lee"
    assert {row["owner_name"] for row in read("key_results") if row["owner"] == "U0REP1"} == {
        "Ann Lee"
    }
    assert [row["member_name"] for row in read("checkins")] == ["Ann Lee"]
    assert {row["ref"] for row in read("key_results")} == {"K1", "K2", "K3", "K4"}
    assert [(r["key_result"], r["value"], r["note"]) for r in read("checkins")] == [
        ("K1", "6.0", "first deals")
    ]
    rep1 = next(row for row in read("points") if row["member"] == "U0REP1")
    assert rep1["week_total"] == str(services.standings.points("T0001", "U0REP1").week.total)
    reader = services.api.create_token("T0001", "bi", ["points:read", "okrs:read"])[1]
    served = call(api, "GET", "/api/v1/exports/activities.csv", reader)
    assert served.status == 200
    assert served.body == (tmp_path / "out" / "activities.csv").read_bytes().decode()
    points_only = services.api.create_token("T0001", "pts", ["points:read"])[1]
    assert call(api, "GET", "/api/v1/exports/objectives.csv", points_only).status == 403
    assert call(api, "GET", "/api/v1/exports/secrets.csv", reader).status == 422


def test_a_check_in_through_the_api_has_the_members_rights(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    token = services.api.create_token("T0001", "crm", ["checkins:write"])[1]
    path = "/api/v1/key-results/K1/check-ins"
    done = call(api, "POST", path, token, {"member": "U0REP1", "value": "20", "confidence": 9})
    assert done.status == 201
    answer = json.loads(done.body)
    assert (answer["key_result"], answer["progress"], answer["achieved_points"]) == ("K1", 1.0, 100)
    before = row_counts(db)
    not_owner = call(api, "POST", path, token, {"member": "U0REP3", "value": "5", "confidence": 5})
    assert not_owner.status == 403
    assert "who owns it, or their manager" in json.loads(not_owner.body)["detail"]
    wrong = call(api, "POST", path, token, {"member": "U0REP1", "value": "lots", "confidence": 5})
    assert wrong.status == 422
    assert call(api, "POST", "/api/v1/key-results/K99/check-ins", token,
                {"member": "U0REP1", "value": "1", "confidence": 5}).status == 404  # fmt: skip
    assert row_counts(db) == before  # none of the refusals stored anything
    reader = services.api.create_token("T0001", "bi", ["okrs:read"])[1]
    assert (
        call(api, "POST", path, reader, {"member": "U0REP1", "value": "1", "confidence": 5}).status
        == 403
    )


def test_hostile_bodies_get_4xx_not_5xx_and_store_nothing(
    api: SlackSender, token: str, services: Services, db: Engine
) -> None:
    before = row_counts(db)
    nul = call(
        api,
        "POST",
        "/api/v1/activities",
        token,
        calls([{"member": "U0REP1", "activity": "call", "note": "a\x00b"}]),
    )
    assert nul.status == 422
    assert "/activities/0/note" in [e["pointer"] for e in json.loads(nul.body)["errors"]]
    deep = api.raw("POST", "/api/v1/activities", "[" * 50_000, {"Content-Type": "application/json"})
    assert 400 <= deep.status < 500
    huge = calls([{"member": "U0REP1", "activity": "call", "note": "x" * 500}] * 5000)
    too_large = call(api, "POST", "/api/v1/activities", token, huge)
    assert too_large.status == 413
    assert row_counts(db) == before


def test_a_request_whose_key_is_still_being_answered_gets_409(
    api: SlackSender, token: str, services: Services, db: Engine
) -> None:
    body = calls([{"member": "U0REP1", "activity": "call"}])
    caller = services.api.authenticate(token)
    assert services.api.begin(caller, "k-busy", json.dumps(body).encode()) is None  # in flight
    busy = call(api, "POST", "/api/v1/activities", token, body, **{"Idempotency-Key": "k-busy"})
    assert busy.status == 409
    assert busy.headers["Retry-After"] == "1"
    assert rows_of(db, "T0001")["activity_logs"] == 0


def test_a_token_stops_working_when_its_workspace_uninstalls(
    api: SlackSender, token: str, services: Services
) -> None:
    assert call(api, "GET", "/api/v1/activities", token).status == 200
    services.installs.uninstall("T0001")
    refused = call(api, "GET", "/api/v1/activities", token)
    assert refused.status == 401
    assert "uninstalled" in json.loads(refused.body)["detail"]


def test_exported_cells_that_a_spreadsheet_would_run_are_kept_as_text(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    services.activities.log_text("T0001", "U0REP1", "call =HYPERLINK(1)")
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    assert main(["export", "T0001", "--csv", str(tmp_path)], clock) == 0
    with (tmp_path / "activities.csv").open(newline="", encoding="utf-8") as file:
        [row] = list(csv.DictReader(file))
    assert row["note"] == "'=HYPERLINK(1)"


def test_a_member_can_be_named_by_the_email_of_their_slack_account(
    api: SlackSender, token: str, fake_slack: FakeSlack, db: Engine
) -> None:
    fake_slack.emails["ann@acme.test"] = "U0REP1"
    body = calls(
        [
            {"member": "ann@acme.test", "activity": "call", "quantity": 2},
            {"member": "nobody@acme.test", "activity": "call"},
        ]
    )
    refused = call(api, "POST", "/api/v1/activities", token, body)
    assert refused.status == 422
    assert "`nobody@acme.test` is not a member" in refused.body
    assert rows_of(db, "T0001")["activity_logs"] == 0
    logged = call(api, "POST", "/api/v1/activities", token, calls(body["activities"][:1]))
    assert json.loads(logged.body)["activities"][0]["member"] == "U0REP1"


def test_objectives_come_with_progress_pace_confidence_and_what_is_needed(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    for _ in range(3):
        services.activities.log_text("T0001", "U0REP1", "demo 10")
    services.okrs.check_in(
        "T0001", "U0REP1", [CheckinRow(ref="K1", value="6", confidence="7", note="")]
    )
    reader = services.api.create_token("T0001", "bi", ["okrs:read"])[1]
    reply = call(api, "GET", "/api/v1/objectives", reader)
    assert reply.status == 200
    document = json.loads(reply.body)
    assert document["cycle"] == "2026-Q4"
    krs = {kr["ref"]: kr for o in document["objectives"] for kr in o["key_results"]}
    k1 = krs["K1"]
    assert (k1["current"], k1["target"], k1["progress"], k1["confidence"]) == (6.0, 20.0, 0.3, 7)
    demos = next(n for n in k1["needs"] if n["activity"] == "demos")
    assert (demos["outlook"], demos["more"], demos["per_week"]) == ("weekly pace", 70, 12)
    assert {o["ref"] for o in document["objectives"]} >= {"O1"}
    one = json.loads(call(api, "GET", "/api/v1/key-results/k1", reader).body)
    assert one == k1
    missing = call(api, "GET", "/api/v1/key-results/K99", reader)
    assert missing.status == 404
    writer = services.api.create_token("T0001", "crm", ["activities:write"])[1]
    assert call(api, "GET", "/api/v1/objectives", writer).status == 403


def test_the_leaderboard_for_a_team_or_the_workspace_is_what_leaderboard_shows(
    api: SlackSender, token: str, services: Services, db: Engine
) -> None:
    services.activities.log_text("T0001", "U0REP2", "proposal 2")
    services.activities.log_text("T0001", "U0REP1", "call 3")
    board = json.loads(call(api, "GET", "/api/v1/leaderboard?team=Sales%20East", token).body)
    assert board["team"] == "Sales East"
    assert [(r["rank"], r["member"], r["total"]) for r in board["top"]] == [
        (1, "U0REP2", 20),
        (2, "U0REP1", 3),
        (None, "U0REP3", 0),  # no points, so no rank
    ]
    assert board["members"] == 3
    with db.begin() as connection:  # a name from the member's Slack profile
        connection.execute(
            update(Member).where(Member.user_id == "U0REP2").values(name="Bea Berlin")
        )
    named = json.loads(call(api, "GET", "/api/v1/leaderboard?team=Sales%20East", token).body)
    assert [r["name"] for r in named["top"]][:1] == ["Bea Berlin"]
    shown = services.standings.leaderboard("T0001", "U0REP1", "week")
    assert board["period"] == shown.period.label
    unknown = call(api, "GET", "/api/v1/leaderboard?team=Nowhere", token)
    assert unknown.status in (404, 422)
    assert unknown.headers["Content-Type"] == "application/problem+json"
    everyone = json.loads(call(api, "GET", "/api/v1/leaderboard?period=quarter", token).body)
    assert everyone["team"] is None


def test_an_objective_created_through_the_api_follows_the_forms_rules(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    token = services.api.create_token("T0001", "planner", ["okrs:write"])[1]
    body = {
        "member": "U0MANAGER",
        "title": "Grow the West",
        "level": "team",
        "team": "Sales East",
        "key_results": [
            {
                "title": "Open 5 accounts",
                "type": "increase_to",
                "start": 0,
                "target": 5,
                "unit": "accounts",
                "owner": "U0REP1",
            }
        ],
    }
    created = call(api, "POST", "/api/v1/objectives", token, body)
    assert created.status == 201, created.body
    objective = json.loads(created.body)
    assert (objective["title"], objective["level"]) == ("Grow the West", "team")
    assert objective["key_results"][0]["owner"] == "U0REP1"
    before = row_counts(db)
    bad = {**body, "key_results": [{**body["key_results"][0], "target": 0}]}
    refused = call(api, "POST", "/api/v1/objectives", token, bad)
    assert refused.status == 422
    assert "/key_results/0/target" in [e["pointer"] for e in json.loads(refused.body)["errors"]]
    rep = call(api, "POST", "/api/v1/objectives", token, {**body, "member": "U0REP2"})
    assert rep.status == 403  # a rep may not create a team objective
    assert row_counts(db) == before
    reader = services.api.create_token("T0001", "bi", ["okrs:read"])[1]
    assert call(api, "POST", "/api/v1/objectives", reader, body).status == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", True), ("quantity", "5"), ("quantity", 1e2), ("quantity", 2.0), ("note", 5)],
)
def test_the_api_takes_values_only_of_the_type_its_document_promises(
    api: SlackSender, token: str, db: Engine, field: str, value: Any
) -> None:
    before = row_counts(db)
    item = {"member": "U0REP1", "activity": "call", "quantity": 1, field: value}
    answer = call(api, "POST", "/api/v1/activities", token, calls([item]))
    assert answer.status == 422
    [error] = json.loads(answer.body)["errors"]
    assert error["pointer"] == f"/activities/0/{field}"
    assert row_counts(db) == before
    document = json.loads(api.raw("GET", "/api/v1/openapi.json").body)
    assert document["components"]["schemas"]["ActivityIn"]["properties"]["quantity"]["type"] == (
        "integer"
    )


def test_archiving_through_the_api_takes_a_boolean_not_yes(
    api: SlackSender, services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    writer = services.api.create_token("T0001", "crm", ["okrs:write"])[1]
    before = row_counts(db)
    answer = call(
        api, "PATCH", "/api/v1/objectives/O1", writer, {"member": "U0MANAGER", "archived": "yes"}
    )
    assert answer.status == 422
    assert json.loads(answer.body)["errors"][0]["pointer"] == "/archived"
    assert row_counts(db) == before
