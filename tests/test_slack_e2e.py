"""End to end through HTTP: bad input, signatures, the log modal, boards, App Home, retries."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import Reply, SlackSender
from handlers import ids
from storage.models import ActivityLog
from tests.conftest import FakeClock, Server
from tests.helpers import import_playbook, row_counts, rows_of, texts

# Every test runs beside another workspace with the same people and its own data.
pytestmark = pytest.mark.usefixtures("neighbour")


@pytest.fixture
def team(db: Engine, clock: FakeClock) -> None:
    import_playbook(db, clock)


def last_reply(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    return fake.wait_for("response_url", count=count)[count - 1].params


# -- bad input: a clear answer, and nothing stored --------------------------------------------
@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(
    ("command", "text", "answer"),
    [
        ("/log", "clal 3", "I don't know the activity `clal`. Did you mean `call`?"),
        ("/log", "call 2 left\x00a voicemail", "Your note contains invisible control characters"),
        ("/log", "call 0", "Quantity must be from 1 to 1000; `0` is out of range."),
        ("/log", "call -2", "Quantity must be a whole number from 1 to 1000, not `-2`."),
        ("/log", "call 2.5", "Quantity must be a whole number from 1 to 1000, not `2.5`."),
        ("/log", "call 1001", "Quantity must be from 1 to 1000; `1001` is out of range."),
        ("/log", "call 3x", "Quantity must be a whole number from 1 to 1000, not `3x`."),
        ("/log", "call 2 " + "n" * 501, "Notes can be at most 500 characters; yours has 501."),
        ("/leaderboard", "week Sales West", "I don't know the period or team `Sales West`."),
        ("/leaderboard", "tomorrow", "I don't know the period or team `tomorrow`."),
        ("/points", "dana", "I couldn't find a member in `dana`."),
    ],
)
def test_bad_input_is_answered_and_changes_nothing(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, command: str, text: str, answer: str
) -> None:
    before = row_counts(db)
    assert slack.command(command, text, user="U0NEWBIE").status == 200
    message = last_reply(fake_slack)
    assert message["text"].startswith(":warning: ")
    assert answer in message["text"]
    assert message["response_type"] == "ephemeral"
    assert row_counts(db) == before


@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("missing", {"signed": False}),
        ("wrong secret", {"sign_with": "not-the-secret"}),
        ("older than 5 minutes", {"timestamp": int(time.time()) - 301}),
    ],
)
def test_requests_not_signed_by_slack_get_401_and_store_nothing(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, case: str, kwargs: dict[str, Any]
) -> None:
    before = row_counts(db)
    assert slack.command("/log", "call 3", **kwargs).status == 401
    assert row_counts(db) == before
    assert fake_slack.calls_to("response_url") == []


BODIES = [
    ("no command", "text=hello", "application/x-www-form-urlencoded"),
    ("a command", "command=%2Flog&text=call+3&user_id=U0REP1&team_id=T0001", "application/x-www-form-urlencoded"),
    ("not JSON", "{{{", "application/json"),
    ("JSON without a type", "{}", "application/json"),
    ("JSON nested 100,000 deep", "[" * 100_000 + "]" * 100_000, "application/json"),
    ("a payload nested deep", "payload=" + "%5B" * 50_000, "application/x-www-form-urlencoded"),
    ("empty", "", "application/json"),
]  # fmt: skip


@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(("shape", "body", "content_type"), BODIES, ids=[b[0] for b in BODIES])
@pytest.mark.parametrize(
    "how",
    [{"signed": False}, {"sign_with": "forged"}, {"timestamp": int(time.time()) - 301}],
    ids=["unsigned", "forged", "stale"],
)
def test_an_unsigned_request_gets_401_whatever_its_body(
    slack: SlackSender,
    db: Engine,
    caplog: pytest.LogCaptureFixture,
    shape: str,
    body: str,
    content_type: str,
    how: dict[str, Any],
) -> None:
    before = row_counts(db)
    with caplog.at_level(logging.INFO):
        answer = slack.post(body, content_type, **how)
    assert answer.status == 401, shape
    assert row_counts(db) == before
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("team")
def test_a_signed_body_nested_too_deep_is_a_400_not_a_500(slack: SlackSender) -> None:
    assert slack.post("[" * 100_000 + "]" * 100_000, "application/json").status == 400
    deep = "payload=" + "%5B" * 50_000 + "%5D" * 50_000
    assert slack.post(deep, "application/x-www-form-urlencoded").status == 400


# -- /log help and the modal ----------------------------------------------------------------
@pytest.mark.usefixtures("team")
def test_log_help_lists_the_catalog_with_points(slack: SlackSender, fake_slack: FakeSlack) -> None:
    slack.command("/log", "help")
    text = texts(last_reply(fake_slack))
    assert "`call` — Call: 1 point each" in text
    assert "`demo` — Demo: 5 points each (points for up to 10 a day)" in text
    assert "`proposal` — Proposal sent: 10 points each" in text


@pytest.mark.usefixtures("team")
def test_a_typo_is_fixed_in_one_click_with_the_same_quantity_and_note(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    before = row_counts(db)
    answer = slack.command("/log", "clal 3 with the Acme buyer").json()
    assert "Did you mean `call`?" in answer["text"]
    assert row_counts(db) == before  # the typo itself stores nothing
    fix = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]
    assert fix["text"]["text"] == "Log call 3 with the Acme buyer"
    slack.block_action(fix["action_id"], fix["value"], user="U0REP1")
    logged = last_reply(fake_slack, 2)  # the first is the typo's answer, as Slack shows it
    assert logged.get("replace_original") is True
    assert "Logged *3 × Call*" in texts(logged)
    assert "with the Acme buyer" in texts(logged)
    slack.block_action(fix["action_id"], fix["value"], user="U0REP1")  # a double click
    last_reply(fake_slack, 3)
    with db.connect() as connection:
        stored = select(func.count()).where(ActivityLog.note == "with the Acme buyer")
        assert connection.scalar(stored) == 1
    nothing_close = slack.command("/log", "zzzz 2").json()
    assert not any(b["type"] == "actions" for b in nothing_close.get("blocks", []))


def modal_values(activity: str | None, quantity: str, note: str = "") -> dict[str, Any]:
    selected = {"selected_option": {"value": activity}} if activity else {"selected_option": None}
    return {
        ids.BLOCK_ACTIVITY: {ids.INPUT_ACTIVITY: {"type": "static_select", **selected}},
        ids.BLOCK_QUANTITY: {ids.INPUT_QUANTITY: {"type": "plain_text_input", "value": quantity}},
        ids.BLOCK_NOTE: {ids.INPUT_NOTE: {"type": "plain_text_input", "value": note or None}},
    }


@pytest.mark.usefixtures("team")
def test_log_without_text_opens_a_modal_whose_submission_logs(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/log", "")
    opened = fake_slack.wait_for("views.open")[0].params
    view = opened["view"]
    assert view["callback_id"] == ids.VIEW_LOG
    options = view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == ["call", "demo", "proposal"]

    metadata = view["private_metadata"]
    reply = slack.view_submission(
        ids.VIEW_LOG, modal_values("demo", "2", "Acme"), metadata, view_id="V1"
    )
    assert reply.status == 200
    assert reply.body == ""  # closes the modal
    posted = fake_slack.wait_for("chat.postEphemeral")[0].params
    assert (posted["channel"], posted["user"]) == ("C0SALESEAST", "U0REP1")
    assert "Logged *2 × Demo* — *+10 points*" in texts(posted)
    assert "Acme" in texts(posted)

    # Submitting the same view twice (a double click) logs once.
    slack.view_submission(ids.VIEW_LOG, modal_values("demo", "2", "Acme"), metadata, view_id="V1")
    fake_slack.wait_for("chat.postEphemeral", count=2)
    assert rows_of(db, "T0001")["activity_logs"] == 1


@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(
    ("activity", "quantity", "note", "block", "message"),
    [
        (None, "1", "", ids.BLOCK_ACTIVITY, "Pick an activity."),
        ("call", "abc", "", ids.BLOCK_QUANTITY, "Quantity must be a whole number"),
        ("call", "0", "", ids.BLOCK_QUANTITY, "Quantity must be from 1 to 1000"),
        ("call", "2", "x" * 501, ids.BLOCK_NOTE, "Notes can be at most 500 characters"),
    ],
)
def test_invalid_modal_fields_come_back_as_inline_errors(
    slack: SlackSender,
    db: Engine,
    activity: str | None,
    quantity: str,
    note: str,
    block: str,
    message: str,
) -> None:
    before = row_counts(db)
    reply = slack.view_submission(ids.VIEW_LOG, modal_values(activity, quantity, note), "{}")
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert message in answer["errors"][block]
    assert row_counts(db) == before


@pytest.mark.usefixtures("team")
def test_modal_confirmation_falls_back_to_a_dm_when_the_app_is_not_in_the_channel(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.ephemeral_error = "channel_not_found"
    slack.view_submission(
        ids.VIEW_LOG, modal_values("call", "1"), json.dumps({"channel": "CPRIVATE"})
    )
    dm = fake_slack.wait_for("chat.postMessage")[0].params
    assert dm["channel"] == "U0REP1"
    assert "Logged *1 × Call*" in texts(dm)


# -- undo through Slack ----------------------------------------------------------------------
@pytest.mark.usefixtures("team")
def test_someone_else_cannot_undo_my_entry(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/log", "call 3")
    logged = last_reply(fake_slack)
    value = logged["blocks"][-1]["elements"][0]["value"]
    before = row_counts(db)
    slack.block_action(ids.ACTION_UNDO, value, user="U0REP2")
    refused = last_reply(fake_slack, 2)
    assert "Only <@U0REP1>, who logged it, can undo this entry." in refused["text"]
    assert refused["replace_original"] is False
    assert row_counts(db) == before


# -- leaderboards ------------------------------------------------------------------------------
@pytest.mark.usefixtures("team")
def test_leaderboard_shares_ranks_for_ties_and_shows_my_rank_outside_the_top_10(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    from bot.app import build_services

    services = build_services(db, clock)
    services.activities.log_text("T0001", "U0REP1", "call 5")
    services.activities.log_text("T0001", "U0REP2", "call 5")
    for number in range(12):
        services.activities.log_text("T0001", f"U0X{number:02d}", f"call {20 + number}")
    services.activities.log_text("T0001", "U0LAST", "call 1")

    slack.command("/leaderboard", "all", user="U0LAST")
    board = texts(last_reply(fake_slack))
    assert ":first_place_medal: <@U0X11> — *31* pts" in board
    assert "13. <@U0REP1> — *5* pts" not in board  # outside the top 10 and not the caller
    assert "15. <@U0LAST> — *1* pt _(you)_" in board
    assert "<@U0REP3>" not in board  # no points: counted, not listed, on the everyone board
    assert "with no points yet this period_" in board

    slack.command("/leaderboard", "")  # U0REP1's team this week: REP1 and REP2 tie
    team_board = texts(last_reply(fake_slack, 2))
    assert ":first_place_medal: <@U0REP1> — *5* pts _(you)_" in team_board
    assert ":first_place_medal: <@U0REP2> — *5* pts" in team_board
    assert "• <@U0REP3> — no points yet" in team_board


@pytest.mark.usefixtures("team")
def test_leaderboard_periods_and_team_names(
    slack: SlackSender, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    slack.command("/log", "proposal")
    last_reply(fake_slack)
    clock.advance(days=7)
    slack.command("/leaderboard", "week sales east")
    assert "No points yet for this period." in texts(last_reply(fake_slack, 2))
    slack.command("/leaderboard", "quarter Sales East")
    quarter = texts(last_reply(fake_slack, 3))
    assert "<@U0REP1> — *10* pts" in quarter
    assert "2026-Q4" in quarter


@pytest.mark.usefixtures("team")
def test_share_in_channel_posts_the_board_for_everyone(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    slack.command("/log", "demo 2")
    last_reply(fake_slack)
    slack.command("/leaderboard", "today")
    private = last_reply(fake_slack, 2)
    share = private["blocks"][-1]["elements"][0]
    assert share["action_id"] == ids.ACTION_SHARE_BOARD
    slack.block_action(ids.ACTION_SHARE_BOARD, share["value"])
    shared = last_reply(fake_slack, 3)
    assert shared["response_type"] == "in_channel"
    assert shared["replace_original"] is False
    assert "<@U0REP1> — *10* pts" in texts(shared)
    assert "Shared by <@U0REP1>" in texts(shared)
    assert "_(you)_" not in texts(shared)


@pytest.mark.usefixtures("team")
def test_points_for_another_member(slack: SlackSender, fake_slack: FakeSlack) -> None:
    slack.command("/log", "proposal 2", user="U0REP2")
    last_reply(fake_slack)
    slack.command("/points", "<@U0REP2|dana>")
    text = texts(last_reply(fake_slack, 2))
    assert "Points for <@U0REP2>" in text
    assert "*20* pts — activity 20 · results 0" in text


# -- App Home, event retries, rate limits -------------------------------------------------------
def home_event() -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": "U0REP1",
        "channel": "D0001",
        "tab": "home",
        "event_ts": "1.2",
    }


@pytest.mark.usefixtures("team")
def test_app_home_shows_the_dashboard(slack: SlackSender, fake_slack: FakeSlack) -> None:
    slack.command("/log", "call 4")
    logged = texts(last_reply(fake_slack))
    assert "#1 of 1 in *Sales East* this week" in logged  # ranked among those with points
    assert slack.event(home_event(), event_id="EvHome1").status == 200
    published = fake_slack.wait_for("views.publish")[0].params
    assert published["user_id"] == "U0REP1"
    view = published["view"]
    assert view["type"] == "home"
    text = texts(view)
    assert "*4* pts — activity 4 · results 0" in text
    assert "#1 of 1 in *Sales East*" in text  # as the /log reply says it
    assert any(
        element.get("action_id") == ids.ACTION_OPEN_LOG_MODAL
        for block in view["blocks"]
        for element in block.get("elements", [])
    )


@pytest.mark.usefixtures("team")
def test_a_retried_event_is_handled_once(slack: SlackSender, fake_slack: FakeSlack) -> None:
    slack.event(home_event(), event_id="EvRetry")
    fake_slack.wait_for("views.publish")
    assert slack.event(home_event(), event_id="EvRetry", retry=1).status == 200
    assert slack.event(home_event(), event_id="EvRetry", retry=2).status == 200
    slack.event(home_event(), event_id="EvOther")  # a new event is still handled
    fake_slack.wait_for("views.publish", count=2)
    assert len(fake_slack.calls_to("views.publish")) == 2


@pytest.mark.usefixtures("team")
def test_a_429_with_retry_after_is_waited_out(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("views.publish", 429, retry_after=1)
    fake_slack.fail_next("views.publish", 500)
    slack.event(home_event(), event_id="EvLimited")
    published = fake_slack.wait_for("views.publish", timeout=15)
    assert len(published) == 1


@pytest.mark.usefixtures("team")
def test_new_members_timezone_comes_from_users_info(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    from sqlalchemy import select

    from storage.models import Member

    fake_slack.timezones["U0REP9"] = "Europe/Berlin"
    slack.command("/log", "call", user="U0REP9")
    last_reply(fake_slack)
    assert [c.params["user"] for c in fake_slack.calls_to("users.info")] == ["U0REP9"]
    with db.connect() as connection:
        tz = connection.scalar(select(Member.timezone).where(Member.user_id == "U0REP9"))
    assert tz == "Europe/Berlin"


def test_health_check_answers_with_the_database_state(slack: SlackSender) -> None:
    reply = slack.raw("GET", "/healthz")
    assert reply.status == 200
    assert reply.json() == {"ok": True, "database": "ok"}
    assert slack.raw("GET", "/nope").status == 404
    assert slack.raw("GET", "/slack/events").status == 405


@pytest.mark.usefixtures("team")
def test_profiles_are_asked_of_slack_once_per_ten_minutes(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    for opened in range(1, 4):  # one after another: each waits for the last to publish
        slack.event(home_event(), event_id=f"EvProfile{opened}")
        fake_slack.wait_for("views.publish", count=opened)
    assert len(fake_slack.calls_to("users.info")) == 1


def test_slacks_request_url_check_is_answered(slack: SlackSender) -> None:
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    reply = slack.post(body, "application/json")
    assert reply.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in reply.body


def test_malformed_events_get_a_4xx_and_long_event_ids_are_handled_once(
    slack: SlackSender, db: Engine
) -> None:
    body = json.dumps({"type": "event_callback", "team_id": "T0001", "event_id": "Ev1"})
    assert slack.post(body, "application/json").status == 400
    long_id = "Ev" + "x" * 200
    event = {"type": "reaction_added", "user": "U0REP1", "reaction": "tada", "item": {}}
    assert slack.event(event, event_id=long_id).status == 200
    assert slack.event(event, event_id=long_id, retry=1).status == 200


def test_remembered_deliveries_are_forgotten_after_a_day(
    slack: SlackSender, server: Server, db: Engine, clock: FakeClock
) -> None:
    slack.command("/okr")  # remembered: /okr can change things (/log and /points need not be)
    events = server.runtime.services.events
    assert events.prune() == 0
    clock.advance(days=1, minutes=1)
    assert events.prune() == 1


def _signed_payload(slack: SlackSender, payload: dict[str, Any]) -> Reply:
    return slack.interaction(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {
            "type": "block_actions",
            "team": {"id": "T0001"},
            "user": {"id": "U0REP1", "team_id": "T0001"},
            "api_app_id": "A0OKRBOT",
            "actions": [],
            "response_url": "http://127.0.0.1:9/none",
        },
        {
            "type": "view_submission",
            "team": {"id": "T0001"},
            "user": {"id": "U0REP1", "team_id": "T0001"},
            "api_app_id": "A0OKRBOT",
            "view": {"id": "V3", "callback_id": "log_modal", "state": {"values": {}}},
        },
        {
            "type": "view_submission",
            "team": {"id": "T0001"},
            "user": {"id": "U0REP1", "team_id": "T0001"},
            "api_app_id": "A0OKRBOT",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "checkin_modal",
                "private_metadata": "{not json",
                "state": {"values": {}},
            },
        },
        {
            "type": "view_submission",
            "team": {"id": "T0001"},
            "user": {"id": "U0REP1", "team_id": "T0001"},
            "api_app_id": "A0OKRBOT",
            "view": {
                "id": "V2",
                "type": "modal",
                "callback_id": "log_modal",
                "private_metadata": "[1, 2",
                "state": {"values": {}},
            },
        },
    ],
)
def test_hand_made_payloads_get_no_500_and_no_traceback(
    slack: SlackSender, db: Engine, payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    before = row_counts(db)
    with caplog.at_level(logging.ERROR):
        answer = _signed_payload(slack, payload)
    assert answer.status < 500
    assert [r for r in caplog.records if r.exc_info] == []
    assert row_counts(db) == before


def test_a_timestamp_that_is_not_a_number_gets_401(slack: SlackSender) -> None:
    body = slack.command_body("/points")
    answer = slack.raw(
        "POST",
        "/slack/events",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": "soon",
            "X-Slack-Signature": "v0=abc",
        },
    )
    assert answer.status == 401


def test_more_hand_made_shapes_get_no_500(slack: SlackSender, db: Engine) -> None:
    base = {"team": {"id": "T0001"}, "user": {"id": "U0REP1", "team_id": "T0001"}}
    numeric_metadata = {
        **base,
        "type": "view_submission",
        "view": {
            "id": "V9",
            "type": "modal",
            "callback_id": "checkin_modal",
            "private_metadata": 5,
            "state": {"values": {}},
        },
    }
    ticks = {
        **base,
        "type": "view_submission",
        "view": {
            "id": "V10",
            "type": "modal",
            "callback_id": "checkin_modal",
            "private_metadata": '["K1"]',
            "state": {
                "values": {"value:K1": {"value": {"type": "checkboxes", "selected_options": 5}}}
            },
        },
    }
    for payload in (numeric_metadata, ticks):
        assert slack.interaction(payload).status < 500
    event = json.dumps({"type": "event_callback", "team": "T0001", "event": {"type": "x"}})
    assert slack.post(event, "application/json").status == 400
    no_user = slack.command_body("/points").replace("user_id=U0REP1&", "")
    assert slack.post(no_user, "application/x-www-form-urlencoded").status == 400


# -- malformed but signed payloads: a clear answer, never a traceback ----------------------------
def _action(value: Any, user: Any = "U0REP1", action_id: str = ids.ACTION_UNDO) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T0001", "domain": "acme"},
        "api_app_id": "A0OKRBOT",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0SALESEAST"},
        "trigger_id": "1.1.trigger",
        "response_url": "",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
    }
    if user is not None:
        payload["user"] = {"id": user, "team_id": "T0001"}
    return payload


@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(
    ("payload", "statuses"),
    [
        (_action("99999999999999999999"), {200}),
        (_action("2147483648"), {200}),
        (_action("-1"), {200}),
        (_action(["1"]), {400}),
        (_action({"id": 1}), {400}),
        (_action("1", user=None), {400}),
        (_action("1", user="U0" + "X" * 40), {400}),
        (_action("99999999999999999999", action_id=ids.ACTION_REVOKE_TOKEN + ":1"), {200}),
    ],
    ids=["huge", "past int32", "negative", "list", "object", "no user", "long user", "revoke"],
)
def test_a_signed_button_of_a_wrong_shape_gets_an_answer_and_no_traceback(
    slack: SlackSender,
    fake_slack: FakeSlack,
    db: Engine,
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, Any],
    statuses: set[int],
) -> None:
    payload["response_url"] = fake_slack.response_url()
    before = row_counts(db)
    with caplog.at_level(logging.INFO):
        answer = slack.interaction(payload)
        if answer.status == 200:  # the work after the acknowledgement answers, then we look
            undo = payload["actions"][0]["action_id"] == ids.ACTION_UNDO
            said = (
                last_reply(fake_slack)
                if undo
                else fake_slack.wait_for("chat.postMessage")[0].params
            )
            assert "button is broken" in said["text"]
    assert answer.status in statuses
    assert row_counts(db) == before
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(
    "event",
    [{"type": "app_home_opened", "tab": "home"}, {"type": "app_home_opened", "user": ["U0REP1"]}],
    ids=["no user", "a list for a user"],
)
def test_an_event_without_its_user_is_refused_plainly(
    slack: SlackSender, db: Engine, caplog: pytest.LogCaptureFixture, event: dict[str, Any]
) -> None:
    before = row_counts(db)
    with caplog.at_level(logging.INFO):
        assert slack.event(event, event_id="EvNoUser").status == 400
    assert row_counts(db) == before
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("team")
def test_a_new_objective_whose_owner_is_no_user_id_is_an_inline_error(
    slack: SlackSender, db: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    def text_value(value: str | None) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    values = {
        "title": {"title": text_value("Grow")},
        "level": {"level": {"type": "static_select", "selected_option": {"value": "personal"}}},
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "committed"}}},
        "kr1_title": {"title": text_value("Sign 3")},
        "kr1_type": {
            "type": {"type": "static_select", "selected_option": {"value": "increase_to"}}
        },
        "kr1_target": {"target": text_value("3")},
        "kr1_owner": {"owner": {"type": "users_select", "selected_user": "U" + "Q" * 39}},
    }
    before = row_counts(db)
    with caplog.at_level(logging.INFO):
        answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, values, user="U0REP1").json()
    assert answer["response_action"] == "errors"
    assert answer["errors"]["kr1_owner"] == "Pick the owner from the list of people."
    assert row_counts(db) == before
    assert "Traceback" not in caplog.text


@pytest.mark.usefixtures("team")
def test_a_database_outage_is_one_log_line_a_request_not_a_traceback(
    slack: SlackSender,
    server: Server,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from sqlalchemy.exc import OperationalError

    def refused() -> Any:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    ctx = server.runtime.services.activities.ctx
    working = ctx.uow
    object.__setattr__(ctx, "uow", refused)  # the database refuses every connection
    try:
        with caplog.at_level(logging.INFO):
            answers = [slack.command("/log", "call").json() for _ in range(5)]
    finally:
        object.__setattr__(ctx, "uow", working)
    assert all("Sorry, something went wrong on our side" in a["text"] for a in answers)
    outage = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage) == 5
    assert all(r.levelno == logging.WARNING for r in outage)
    assert "connection refused" in outage[0].getMessage()
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
