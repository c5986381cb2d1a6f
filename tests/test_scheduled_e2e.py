"""Scheduled messages end to end: buttons, reactions with Slack retries, away, the leader lock, CLI."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.cli import main as cli
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers import ids
from handlers.schedule.scheduled_blocks import nudge_value
from storage.models import ActivityLog, Reaction, ScheduledSend
from storage.schedule.leader import LeaderLock
from tests.conftest import FakeClock, Server
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts, texts

# Tests driven through Slack run beside another workspace with the same people and its own
# data; the command-line ones below test what okrbot does with one workspace.
beside_another = pytest.mark.usefixtures("neighbour")


@pytest.fixture
def team(db: Engine, clock: FakeClock) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)


def reply(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    return fake.wait_for("response_url", count=count)[count - 1].params


@pytest.mark.usefixtures("team")
@beside_another
def test_a_nudge_button_logs_one_unit_once(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.block_action(ids.keyed(ids.ACTION_NUDGE_LOG, "demo"), "demo", user="U0REP2")
    logged = reply(fake_slack)
    assert logged["replace_original"] is True
    assert "Logged *1 × Demo* — *+5 points*" in texts(logged)
    slack.block_action(
        ids.keyed(ids.ACTION_NUDGE_LOG, "demo"), "demo", user="U0REP2"
    )  # a double click
    reply(fake_slack, 2)
    with db.connect() as connection:
        assert (
            connection.scalar(select(func.count()).where(ActivityLog.workspace_id == "T0001")) == 1
        )


@pytest.mark.usefixtures("team")
@beside_another
def test_a_manager_nudges_an_inactive_rep_at_most_once_a_day(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.block_action(
        ids.keyed(ids.ACTION_NUDGE_REP, "U0REP2"), "U0REP2", user="U0MANAGER", container="message"
    )
    assert reply(fake_slack)["text"] == ":wave: Nudged <@U0REP2>."
    dm = fake_slack.wait_for("chat.postMessage")[0].params
    assert dm["channel"] == "U0REP2"
    assert "<@U0MANAGER> is cheering you on" in dm["text"]
    slack.block_action(
        ids.keyed(ids.ACTION_NUDGE_REP, "U0REP2"), "U0REP2", user="U0MANAGER", container="message"
    )
    assert "already been nudged today" in reply(fake_slack, 2)["text"]
    before = row_counts(db)
    slack.block_action(
        ids.keyed(ids.ACTION_NUDGE_REP, "U0REP3"), "U0REP3", user="U0REP1", container="message"
    )
    assert "You can nudge the reps of teams you manage" in reply(fake_slack, 3)["text"]
    assert row_counts(db) == before
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


@pytest.mark.usefixtures("team")
@beside_another
def test_a_rep_who_logged_since_the_digest_is_not_nudged_and_the_manager_is_told(
    slack: SlackSender, fake_slack: FakeSlack, server: Server, clock: FakeClock
) -> None:
    built_at = clock.now()
    clock.advance(hours=1)
    server.runtime.services.activities.log_text("T0001", "U0REP2", "call")
    value = nudge_value("U0REP2", built_at)
    slack.block_action(
        ids.keyed(ids.ACTION_NUDGE_REP, "U0REP2"), value, user="U0MANAGER", container="message"
    )
    assert "<@U0REP2> has logged an activity since this digest" in reply(fake_slack)["text"]
    assert fake_slack.calls_to("chat.postMessage") == []


@pytest.mark.usefixtures("team")
@beside_another
def test_reactions_on_leaderboard_posts_are_recorded_once_despite_retries(
    slack: SlackSender, server: Server, db: Engine, clock: FakeClock
) -> None:
    with server.runtime.services.scheduler.ctx.uow() as uow:
        schedule = uow.schedule("T0001")
        schedule.claim(
            "leaderboard-post:T0001:C0SALESEAST:2026-W47",
            "leaderboard-post",
            "C0SALESEAST",
            "2026-W47",
            now=clock.now(),
        )
        schedule.finish(
            "leaderboard-post:T0001:C0SALESEAST:2026-W47",
            "sent",
            clock.now(),
            channel="C0SALESEAST",
            ts="1700.0001",
        )
        uow.commit()
    event = {
        "type": "reaction_added",
        "user": "U0REP2",
        "reaction": "clap",
        "item_user": "UBOT",
        "item": {"type": "message", "channel": "C0SALESEAST", "ts": "1700.0001"},
        "event_ts": "1700.0100",
    }
    for retry in (None, 1, 2):
        assert slack.event(event, event_id="EvReact1", retry=retry).status == 200
    elsewhere = {**event, "item": {"type": "message", "channel": "C0SALESEAST", "ts": "1.0"}}
    slack.event(elsewhere, event_id="EvReact2")
    slack.event({**event, "reaction": "tada"}, event_id="EvReact3")
    with db.connect() as connection:
        rows = list(
            connection.execute(
                select(Reaction.user_id, Reaction.reaction).order_by(Reaction.reaction)
            )
        )
    assert rows == [("U0REP2", "clap"), ("U0REP2", "tada")]


@pytest.mark.usefixtures("team")
@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("away", "Say until when you are away"),
        (
            "away until soon",
            "`soon` is not a date like YYYY-MM-DD; e.g. `/okr away until 2026-11-25`",
        ),
        ("away until 2026-01-01", "2026-01-01 has already passed"),
    ],
)
@beside_another
def test_bad_away_dates_are_refused_and_change_nothing(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, text: str, answer: str
) -> None:
    before = row_counts(db)
    slack.command("/okr", text, user="U0REP1")
    assert answer in reply(fake_slack)["text"]
    assert row_counts(db) == before


@pytest.mark.usefixtures("team")
@beside_another
def test_away_and_back(slack: SlackSender, fake_slack: FakeSlack) -> None:
    slack.command("/okr", "help", user="U0REP1")
    assert "For example: `/okr away until 2026-11-25`." in reply(fake_slack)["text"]
    slack.command("/okr", "away until 2026-12-02", user="U0REP1")
    assert "paused until 2026-12-02" in reply(fake_slack, 2)["text"]
    slack.command("/okr", "back", user="U0REP1")
    assert "Welcome back" in reply(fake_slack, 3)["text"]


def test_only_one_process_holds_the_scheduler_lock(engine: Engine) -> None:
    first, second = LeaderLock(engine), LeaderLock(engine)  # as two processes would hold them
    try:
        assert first.acquire()
        assert first.acquire()  # still ours
        assert not second.acquire()
        first.release()  # the holder stops (or dies: its connection closes)
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.usefixtures("team")
def test_jobs_cli_lists_and_runs(
    db: Engine,
    fake_slack: FakeSlack,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    assert cli(["jobs", "list"], clock) == 0
    listing = capsys.readouterr().out
    assert "T0001  activity-nudge    16:00 mon-fri" in listing
    assert "next: Wed 2026-11-18 16:00 America/New_York (21:00 UTC)" in listing
    assert "leaderboard-post" in listing
    assert cli(["jobs", "run", "leaderboard-post", "--team", "Nope"], clock) == 2
    assert "T0001 has no team named 'Nope'. Teams: Sales East." in capsys.readouterr().err
    assert fake_slack.calls_to("chat.postMessage") == []
    assert cli(["jobs", "run", "leaderboard-post", "--team", "Sales East"], clock) == 0
    assert "leaderboard-post: 1 sent" in capsys.readouterr().out
    assert cli(["jobs", "run", "leaderboard-post"], clock) == 0
    assert (
        "leaderboard-post: 0 sent, 0 not needed, 1 already sent or claimed"
        in capsys.readouterr().out
    )
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    with db.connect() as connection:
        assert connection.scalar(select(ScheduledSend.status)) == "sent"
    with pytest.raises(SystemExit) as refused:
        cli(["jobs", "run", "no-such-job"])
    assert refused.value.code == 2


@pytest.mark.usefixtures("team")
def test_commands_that_need_a_workspace_pick_the_only_one_or_list_them(
    db: Engine,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    assert cli(["export"], clock) == 0
    assert "workspace: T0001" in capsys.readouterr().out
    import_playbook(db, clock, OKR_PLAYBOOK.replace("workspace: T0001", "workspace: T0002"))
    before = row_counts(db)
    for command in (["export"], ["cycle", "close", "--early"]):
        assert cli(command, clock) == 2
        error = capsys.readouterr().err
        assert "This database holds 2 workspaces (T0001, T0002); say which" in error
    assert row_counts(db) == before
    assert cli(["cycle", "close", "T0002", "2026-Q4", "--early"], clock) == 0
    assert "2026-Q4 closed" in capsys.readouterr().out


@pytest.mark.usefixtures("team")
def test_a_cycle_that_has_not_started_is_never_closed(
    db: Engine,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    import_playbook(
        db,
        clock,
        OKR_PLAYBOOK.replace(
            "  - {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}",
            "  - {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}\n"
            "  - {name: TQ1, start: 2027-01-01, end: 2027-03-31}",
        ),
    )
    before = row_counts(db)
    assert cli(["cycle", "close", "TQ1", "--early"], clock) == 2  # a name, not a workspace id
    assert "TQ1 starts on Fri 01 Jan 2027: a cycle that has not started" in (
        capsys.readouterr().err
    )
    assert row_counts(db) == before


@pytest.mark.usefixtures("team")
def test_admins_switch_scheduled_messages_from_app_home(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.event({"type": "app_home_opened", "user": "U0ADMIN", "tab": "home"}, event_id="EvSw1")
    home = fake_slack.wait_for("views.publish")[0].params["view"]
    switches = {
        b["accessory"]["value"]: b["text"]["text"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("action_id") == ids.ACTION_SWITCH_JOB
    }
    assert switches["activity-nudge:off"] == "*Activity nudge* · 16:00 mon-fri"
    before = row_counts(db)
    slack.block_action(ids.ACTION_SWITCH_JOB, "activity-nudge:off", user="U0REP1", container="view")
    assert "Only workspace admins" in fake_slack.wait_for("chat.postMessage")[0].params["text"]
    assert row_counts(db) == before
    slack.block_action(
        ids.ACTION_SWITCH_JOB, "activity-nudge:off", user="U0ADMIN", container="view"
    )
    republished = fake_slack.wait_for("views.publish", count=2)[1].params["view"]
    assert "*Activity nudge* · 16:00 mon-fri (off)" in texts(republished)
