"""End to end: signed /log, /points, /leaderboard and Undo against the running app."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers import ids
from storage.models import ActivityLog, LedgerEntry
from tests.conftest import FakeClock
from tests.helpers import PLAYBOOK, import_playbook, row_counts, texts

# Every test runs beside another workspace with the same people and its own data.
pytestmark = pytest.mark.usefixtures("neighbour")


def reply(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    """The `count`-th message posted to the response_url."""
    return fake.wait_for("response_url", count=count)[count - 1].params


def undo_value(message: dict[str, Any]) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == ids.ACTION_UNDO:
                return str(element["value"])
    raise AssertionError("the reply has no Undo button")


def ledger_total(engine: Engine, user: str = "U0REP1") -> int:
    with engine.connect() as connection:
        query = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.workspace_id == "T0001", LedgerEntry.user_id == user
        )
        return int(connection.scalar(query) or 0)


def test_log_call_3_earns_3_points_shows_everywhere_and_undo_reverses_once(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)

    assert slack.command("/log", "call 3").status == 200
    logged = reply(fake_slack)
    assert logged["response_type"] == "ephemeral"
    assert "Logged *3 × Call*" in texts(logged)
    assert "+3 points" in texts(logged)
    # Ranked among those with points this week (the two teammates have none yet).
    assert "Today *3* pts · This week *3* pts · #1 of 1 in *Sales East* this week" in texts(logged)
    assert ledger_total(db) == 3

    slack.command("/points")
    assert "*3* pts — activity 3 · results 0" in texts(reply(fake_slack, 2))

    slack.command("/leaderboard")
    board = texts(reply(fake_slack, 3))
    assert "<@U0REP1> — *3* pts" in board
    assert "Sales East" in board

    value = undo_value(logged)
    slack.block_action(ids.ACTION_UNDO, value)
    undone = reply(fake_slack, 4)
    assert undone["replace_original"] is True
    assert "undone, 3 points taken back" in texts(undone)
    assert ledger_total(db) == 0

    slack.block_action(ids.ACTION_UNDO, value)  # a double click
    reply(fake_slack, 5)
    assert ledger_total(db) == 0
    with db.connect() as connection:
        entries = select(func.count()).where(LedgerEntry.workspace_id == "T0001")
        assert connection.scalar(entries) == 2
        assert (
            connection.scalar(select(func.count()).where(ActivityLog.workspace_id == "T0001")) == 1
        )


def test_natural_typing_is_understood_and_the_reply_says_how(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    slack.command("/log", "3 calls to 3 new leads")
    logged = texts(reply(fake_slack))
    assert "Logged *3 × Call*" in logged
    assert ">to 3 new leads" in logged
    assert "Read `calls` as *Call*" in logged
    slack.command("/log", "demo 2")
    assert "Read `" not in texts(reply(fake_slack, 2))  # an exact name needs no explanation
    assert ledger_total(db) == 3 + 10


def test_a_log_is_answered_in_the_acknowledgement_itself(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    answer = slack.command("/log", "call 2")
    assert answer.status == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert "Logged *2 × Call*" in texts(body)
    assert ledger_total(db) == 2  # stored before Slack was told
    assert [c.path for c in fake_slack.calls_to("response_url")] == ["/response/ack"]


def test_a_replayed_log_is_stored_once_and_answered_the_same(
    slack: SlackSender, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    first = slack.command("/log", "call 2")
    after_first = row_counts(db)
    again = slack.replay()  # the same signed request a second time
    assert again.status == 200
    assert texts(again.json()) == texts(first.json())  # the same entry, the same figures
    assert row_counts(db) == after_first
    assert ledger_total(db) == 2


def test_a_slow_slack_profile_lookup_blocks_no_other_writer(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    slack.command("/log", "call")  # U0REP1 is known, and so is their profile
    gate = threading.Event()
    fake_slack.held_users["U0NEWBIE"] = gate
    newcomer: list[int] = []
    first = threading.Thread(
        target=lambda: newcomer.append(slack.command("/log", "demo", user="U0NEWBIE").status)
    )
    first.start()
    try:
        fake_slack.wait_for("users.info", where=lambda c: c.params.get("user") == "U0NEWBIE")
        assert slack.command("/log", "call 2").status == 200  # not waiting for the newcomer
        assert ledger_total(db) == 3
    finally:
        gate.set()
        first.join(timeout=10)
    assert newcomer == [200]
    assert ledger_total(db, "U0NEWBIE") == 5


def test_the_log_form_explains_an_empty_catalog(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    import_playbook(
        db,
        clock,
        PLAYBOOK.replace(
            "activities:\n  - {key: call, name: Call, points: 1}\n"
            "  - {key: demo, name: Demo, points: 5, daily_cap: 10}\n"
            "  - {key: proposal, name: Proposal sent, points: 10}\n",
            "activities: []\n",
        ),
    )
    slack.command("/log", "")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    assert "no activities to log yet" in texts(view)
