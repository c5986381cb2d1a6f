"""CRM webhooks in: HubSpot and Salesforce payloads mapped by the playbook's integrations,
owners found by email in Slack, retries logged once, and bad events refused whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.playbook import PlaybookError, parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import Reply, SlackSender
from bot.services import Services
from tests.conftest import FakeClock, Server
from tests.helpers import PLAYBOOK, import_playbook, row_counts, rows_of

INTEGRATIONS = """
integrations:
  - source: hubspot
    activity: demo
    member: owner_email
    external_id: [objectId, occurredAt]
    note: dealname
  - source: salesforce
    activity: call
    member: Owner.Email
    external_id: [Id]
    quantity: Calls__c
"""
HUBSPOT = {
    "objectId": 4711,
    "occurredAt": "1795000000000",
    "owner_email": "ann@acme.test",
    "dealname": "Acme renewal",
}
SALESFORCE = [
    {"Id": "00T5e000001", "Owner": {"Email": "bob@acme.test"}, "Calls__c": 3},
    {"Id": "00T5e000002", "Owner": {"Email": "ann@acme.test"}, "Calls__c": 1},
]


@pytest.fixture
def crm(
    db: Engine, server: Server, clock: FakeClock, services: Services, fake_slack: FakeSlack
) -> tuple[SlackSender, str]:
    import_playbook(db, clock, PLAYBOOK + INTEGRATIONS)
    fake_slack.emails.update({"ann@acme.test": "U0REP1", "bob@acme.test": "U0REP2"})
    token = services.api.create_token("T0001", "crm", ["activities:write"])[1]
    return SlackSender(base_url=server.url, secret="", response_url=""), token


def hook(crm: tuple[SlackSender, str], source: str, payload: Any) -> Reply:
    api, token = crm
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return api.raw("POST", f"/api/v1/hooks/{source}", json.dumps(payload), headers)


def test_a_hubspot_deal_webhook_logs_a_demo_for_its_owner_once_however_often_it_retries(
    crm: tuple[SlackSender, str], db: Engine
) -> None:
    first = hook(crm, "hubspot", HUBSPOT)
    assert first.status == 200
    [logged] = json.loads(first.body)["activities"]
    assert (logged["member"], logged["activity"], logged["points"]) == ("U0REP1", "demo", 5)
    retried = hook(crm, "hubspot", HUBSPOT)  # HubSpot retries for up to 3 days
    assert json.loads(retried.body) == json.loads(first.body)
    assert rows_of(db, "T0001")["activity_logs"] == 1


def test_a_salesforce_flow_callout_with_several_records_logs_each(
    crm: tuple[SlackSender, str], db: Engine, services: Services
) -> None:
    reply = hook(crm, "salesforce", SALESFORCE)
    assert reply.status == 200
    logged = json.loads(reply.body)["activities"]
    assert [(a["member"], a["quantity"]) for a in logged] == [("U0REP2", 3), ("U0REP1", 1)]
    assert services.standings.points("T0001", "U0REP2").week.activity == 3


@pytest.mark.parametrize(
    ("source", "payload", "status", "pointer"),
    [
        ("hubspot", {**HUBSPOT, "owner_email": "eve@elsewhere.test"}, 422, "/owner_email"),
        ("hubspot", {k: v for k, v in HUBSPOT.items() if k != "objectId"}, 422, "/objectId"),
        ("salesforce", [SALESFORCE[0], {**SALESFORCE[1], "Calls__c": 0}], 422, "/1/Calls__c"),
        ("salesforce", [{**SALESFORCE[0], "Calls__c": "²"}], 422, "/0/Calls__c"),
        ("hubspot", {**HUBSPOT, "dealname": "a\u0000b"}, 422, "/dealname"),
        ("pipedrive", HUBSPOT, 404, None),
    ],
)
def test_an_event_that_cannot_be_mapped_is_refused_whole_and_says_where(
    crm: tuple[SlackSender, str],
    db: Engine,
    source: str,
    payload: Any,
    status: int,
    pointer: str | None,
) -> None:
    before = row_counts(db)
    reply = hook(crm, source, payload)
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(reply.body)
    if pointer is not None:
        assert pointer in [e["pointer"] for e in problem["errors"]]
    else:
        assert "No integration for `pipedrive`" in problem["detail"]
    assert "It is held as #" in problem["detail"]  # kept for `okrbot hooks retry`
    assert row_counts(db) == {**before, "held_hooks": before["held_hooks"] + 1}


def test_a_held_payload_is_logged_by_a_retry_once_its_cause_is_fixed(
    crm: tuple[SlackSender, str],
    db: Engine,
    fake_slack: FakeSlack,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    newcomer = {**HUBSPOT, "owner_email": "cy@acme.test"}  # not in Slack yet
    assert hook(crm, "hubspot", newcomer).status == 422
    assert hook(crm, "hubspot", {**newcomer, "objectId": 4712}).status == 422
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    assert main(["hooks", "held", "T0001"], clock) == 0
    listed = capsys.readouterr().out
    assert "no member of this workspace has the email `cy@acme.test`" in listed
    assert "2 payload(s) held in T0001." in listed
    assert main(["hooks", "retry", "T0001"], clock) == 2  # still unknown: nothing changes
    assert "0 logged, 2 still held." in capsys.readouterr().out
    assert rows_of(db, "T0001")["activity_logs"] == 0

    fake_slack.emails["cy@acme.test"] = "U0REP3"  # cy joined Slack
    assert main(["hooks", "retry", "T0001"], clock) == 0
    assert "2 logged, 0 still held." in capsys.readouterr().out
    assert rows_of(db, "T0001")["activity_logs"] == 2
    assert main(["hooks", "held", "T0001"], clock) == 0
    assert "0 payload(s) held" in capsys.readouterr().out


def test_integrations_in_the_playbook_are_checked_line_by_line() -> None:
    bad = PLAYBOOK + (
        "integrations:\n"
        "  - {source: HubSpot, activity: demo, member: 'owner email', external_id: [id]}\n"
        "  - {source: sf, activity: call, member: a.b, member_is: phone, external_id: [Id]}\n"
    )
    with pytest.raises(PlaybookError) as error:
        parse_playbook(bad, source="pb.yaml")
    problems = "\n".join(error.value.problems)
    assert "integrations[0].source: `HubSpot` is not valid" in problems
    assert "integrations[0].member: `owner email` is not valid" in problems
    assert "integrations[1].member_is: `phone` is not one of email, slack_id" in problems
