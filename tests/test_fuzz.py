"""Fuzzing the Slack endpoint: whatever comes in gets a 4xx or a clear answer, never a 500 or a
traceback, and input that is refused stores nothing. A fixed, derandomised example budget keeps
`make test` fast and repeatable."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.playbook import PlaybookError, parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers import ids
from tests.conftest import FakeClock, Server
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts, texts

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COMMANDS = ["/log", "/checkin", "/okr", "/leaderboard", "/points"]
WORDS = st.sampled_from(
    [
        "call", "demo", "K1", "K2", "K4", "O1", "help", "team", "all", "new", "archive", "score",
        "away", "until", "2026-12-02", "1e400", "inf", "nan", "-0", "5²", "٣", "1,000,000",
        "0.5", "999999999999999999999", "<@U0REP2>", "<@bad", "\x00", "%", "week", "season",
        "Sales East", "done", "ticks:1,2", "`", "*", "\u202e", "🙂" * 3,
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.lists(WORDS, max_size=6).map(" ".join),
    st.text(max_size=120),
)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


@pytest.fixture
def team(db: Engine, clock: FakeClock) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)


@pytest.mark.usefixtures("team")
@FUZZ
@given(command=st.sampled_from(COMMANDS), text=TEXT)
def test_any_command_text_gets_a_clear_answer(
    slack: SlackSender,
    fake_slack: FakeSlack,
    db: Engine,
    caplog: pytest.LogCaptureFixture,
    command: str,
    text: str,
) -> None:
    caplog.clear()
    before = row_counts(db)
    with caplog.at_level(logging.ERROR):
        answer = slack.command(command, text, user="U0REP1")
    assert answer.status < 500
    assert tracebacks(caplog) == []
    opens_a_form = (command in ("/log", "/checkin") and not text.strip()) or (
        command == "/okr" and [word.casefold() for word in text.split()] == ["new"]
    )
    assert bool(answer.body) != opens_a_form  # every other command is answered in the ack
    if answer.body:
        shown = texts(answer.json())
        assert shown.strip()
        assert "something went wrong" not in shown
        if shown.startswith(":warning:"):
            assert row_counts(db) == before
    fake_slack.take_rejections()  # checked by the strict fixture at the end of the test


FIELDS = st.sampled_from(["", "x", "1", "0", "-5", "1e400", "nan", "5²", "2147483648", "T" * 200])


@pytest.mark.usefixtures("team")
@FUZZ
@given(
    title=st.one_of(FIELDS, st.text(max_size=160)),
    kr_type=st.sampled_from(["increase_to", "decrease_to", "stay_above", "milestones", "bad"]),
    start=FIELDS,
    target=FIELDS,
    points=FIELDS,
    unit=st.one_of(FIELDS, st.text(max_size=40)),
    milestones=st.one_of(FIELDS, st.lists(st.text(max_size=90), max_size=12).map(", ".join)),
    level=st.sampled_from(["personal", "team", "company", "nope"]),
)
def test_any_new_objective_form_is_created_or_refused_inline(
    slack: SlackSender,
    db: Engine,
    caplog: pytest.LogCaptureFixture,
    title: str,
    kr_type: str,
    start: str,
    target: str,
    points: str,
    unit: str,
    milestones: str,
    level: str,
) -> None:
    caplog.clear()
    kr = {
        "title": "A key result",
        "type": kr_type,
        "start": start,
        "target": target,
        "points": points,
        "unit": unit,
        "milestones": milestones,
    }
    values: dict[str, Any] = {
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "level": {"level": {"type": "static_select", "selected_option": {"value": level}}},
        "kind": {"kind": {"type": "static_select", "selected_option": {"value": "committed"}}},
        "parent": {"parent": {"type": "plain_text_input", "value": None}},
    }
    for name, value in kr.items():
        key = "type" if name == "type" else name
        element = (
            {"type": "static_select", "selected_option": {"value": value}}
            if name == "type"
            else {"type": "plain_text_input", "value": value}
        )
        values[f"kr1_{name}"] = {key: element}
    before = row_counts(db)
    with caplog.at_level(logging.ERROR):
        answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, values, user="U0MANAGER")
    assert answer.status < 500
    assert tracebacks(caplog) == []
    reply = answer.json()
    assert reply["response_action"] in ("errors", "update")
    if reply["response_action"] == "errors":
        assert all(message.strip() for message in reply["errors"].values())
        assert row_counts(db) == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@pytest.mark.usefixtures("team")
@FUZZ
@given(
    kind=st.sampled_from(["block_actions", "view_submission", "shortcut", "nonsense", 7]),
    extra=st.dictionaries(
        st.sampled_from(["actions", "view", "user", "team", "container", "trigger_id"]),
        JSON,
        max_size=4,
    ),
)
def test_any_payload_shape_gets_a_4xx_or_an_answer(
    slack: SlackSender, db: Engine, caplog: pytest.LogCaptureFixture, kind: Any, extra: Any
) -> None:
    caplog.clear()
    before = row_counts(db)
    payload = {"type": kind, "team": {"id": "T0001"}, "user": {"id": "U0REP1"}, **extra}
    with caplog.at_level(logging.ERROR):
        answer = slack.interaction(json.loads(json.dumps(payload)))
    assert answer.status < 500
    assert tracebacks(caplog) == []
    assert row_counts(db) == before


REAL_ACTIONS = st.sampled_from(
    [
        ids.ACTION_UNDO, ids.ACTION_SHARE_BOARD, ids.ACTION_OPEN_LOG_MODAL, ids.ACTION_OPEN_CHECKIN,
        ids.ACTION_CLOSE_CYCLE, ids.ACTION_SWITCH_JOB, ids.ACTION_ACCEPT_KR, ids.ACTION_DECLINE_KR,
        ids.ACTION_APPROVE_POINTS, ids.keyed(ids.ACTION_NUDGE_LOG, "call"),
        ids.keyed(ids.ACTION_NUDGE_REP, "U0REP2"),
    ]
)  # fmt: skip
REAL_FORMS = st.sampled_from([ids.VIEW_LOG, ids.VIEW_CHECKIN, ids.VIEW_NEW_OBJECTIVE])


@pytest.mark.usefixtures("team")
@FUZZ
@given(
    action_id=REAL_ACTIONS,
    value=st.one_of(st.none(), st.integers(), st.text(max_size=30), WORDS),
    container=st.one_of(st.just({"type": "message", "message_ts": "1.1"}), st.just({})),
)
def test_okrbots_buttons_with_any_value_get_no_500(
    slack: SlackSender,
    server: Server,
    caplog: pytest.LogCaptureFixture,
    action_id: str,
    value: Any,
    container: dict[str, Any],
) -> None:
    caplog.clear()
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": "U0REP1", "team_id": "T0001"},
        "container": container,
        "actions": [{"action_id": action_id, "value": value, "block_id": "b"}],
        "response_url": slack.response_url,
        "trigger_id": "1.2.trigger",
    }
    with caplog.at_level(logging.ERROR):
        answer = slack.interaction(payload)
        server.runtime.pool.wait_idle(timeout=10)
    assert answer.status < 500
    assert tracebacks(caplog) == []


@pytest.mark.usefixtures("team")
@FUZZ
@given(
    callback_id=REAL_FORMS,
    metadata=st.one_of(st.none(), st.integers(), st.text(max_size=20), st.just('["K1"]')),
    values=st.dictionaries(
        st.sampled_from(["value:K1", "confidence:K1", "activity", "quantity", "title", "level"]),
        st.dictionaries(st.sampled_from(["value", "activity_input", "title", "confidence"]), JSON),
        max_size=4,
    ),
)
def test_okrbots_forms_with_any_values_get_no_500(
    slack: SlackSender,
    server: Server,
    db: Engine,
    caplog: pytest.LogCaptureFixture,
    callback_id: str,
    metadata: Any,
    values: Any,
) -> None:
    caplog.clear()
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": "U0REP1", "team_id": "T0001"},
        "view": {
            "id": "VFUZZ",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }
    with caplog.at_level(logging.ERROR):
        answer = slack.interaction(json.loads(json.dumps(payload)))
        server.runtime.pool.wait_idle(timeout=10)
    assert answer.status < 500
    assert tracebacks(caplog) == []


# -- the playbook loader ---------------------------------------------------------------------
PLAYBOOK_FIELDS = """\
workspace: {workspace}
timezone: {timezone}
admins: {admins}
checkin_points: {checkin_points}
limits: {{key_result_points: {kr_limit}, activity_points: {activity_limit}}}
holidays: {holidays}
cycles:
  - {{name: {cycle_name}, start: {cycle_start}, end: {cycle_end}}}
activities:
  - {{key: {key}, name: {name}, points: {points}, daily_cap: {daily_cap}, counts: {counts}, feeds: {feeds}}}
teams:
  - {{name: {team}, channel: {channel}, managers: {managers}, members: {members}}}
schedules:
  activity-nudge: {{at: {at}, days: {days}, enabled: {enabled}}}
objectives:
  - {{ref: O0, title: Top, level: company}}
  - ref: {ref}
    title: {title}
    level: {level}
    team: {objective_team}
    parent: {parent}
    key_results:
      - {{ref: {kr_ref}, title: {kr_title}, type: {kr_type}, start: {start}, target: {target}, unit: {unit}, owner: {owner}, points: {kr_points}, weight: {weight}, milestones: {milestones}}}
"""
VALID_FIELDS = {
    "workspace": "T0001", "timezone": "America/New_York", "admins": "[U0ADMIN]",
    "checkin_points": "2", "kr_limit": "10000", "activity_limit": "1000",
    "holidays": "[2026-12-25]", "cycle_name": "Q4", "cycle_start": "2026-10-01",
    "cycle_end": "2026-12-31", "key": "call", "name": "Call", "points": "1", "daily_cap": "10",
    "counts": "K1", "feeds": "[K1]", "team": "East", "channel": "C0EAST",
    "managers": "[U0MGR]", "members": "[U0REP1]", "at": '"16:00"', "days": "[mon, fri]",
    "enabled": "true", "ref": "O1", "title": "Win", "level": "team", "objective_team": "East",
    "parent": "O0", "kr_ref": "K1", "kr_title": "Calls", "kr_type": "increase_to", "start": "0",
    "target": "40", "unit": "calls", "owner": "U0REP1", "kr_points": "50", "weight": "1",
    "milestones": "[]",
}  # fmt: skip
YAML_VALUES = st.one_of(
    st.sampled_from(
        [
            "~", "", "true", "no", "0", "-1", "1e400", ".nan", "-.inf", "99999999999999999999999",
            "0x7f", "2026-02-30", "2026-13-01", "2026-09-31T25:00:00", "[]", "{}", "[1, [2, [3]]]",
            "{a: {b: {c: d}}}", "&a [*a]", "*undefined", "!!binary AAAA", "!!python/name:os.system",
            "!!timestamp nope", "!!int x", "!!float y", '"\\x00"', "'it''s'", "|\n  block", ">-",
            "[U0REP1, U0REP1]", "T0001", "Europe/Nowhere", "K1", "O1", "\u202e", "- a", ": :",
            "{key: call}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=30).map(lambda text: json.dumps(text)),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
)  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True)
@given(field=st.sampled_from(sorted(VALID_FIELDS)), value=YAML_VALUES)
def test_any_yaml_value_in_any_playbook_field_is_a_problem_with_a_line(
    field: str, value: str
) -> None:
    """No traceback from the loader, whatever a field holds: either a playbook, or problems
    that each name the file and a line."""
    text = PLAYBOOK_FIELDS.format(**{**VALID_FIELDS, field: value})
    said: list[str] | None = None
    try:
        parse_playbook(text, source="playbook.yaml")
    except PlaybookError as error:
        said = error.problems
    if said is not None:
        assert said
        for problem in said:
            assert re.match(r"^playbook\.yaml:\d+: \S", problem), problem


def test_the_fuzzed_playbook_is_valid_as_written() -> None:
    assert parse_playbook(PLAYBOOK_FIELDS.format(**VALID_FIELDS)).workspace == "T0001"
