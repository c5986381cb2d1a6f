"""OKRs end to end over signed HTTP: modals, quick check-ins, result points, App Home, cycle close."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bot.cli import main as cli
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers import ids
from storage.models import LedgerEntry, Objective
from tests.conftest import FakeClock, Server
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts, texts

# Every test runs beside another workspace with the same people and its own data.
pytestmark = pytest.mark.usefixtures("neighbour")


@pytest.fixture
def okr_team(db: Engine, clock: FakeClock) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)


def reply(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    return fake.wait_for("response_url", count=count)[count - 1].params


def achieved_points(engine: Engine, user: str) -> int:
    with engine.connect() as connection:
        query = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.workspace_id == "T0001",
            LedgerEntry.user_id == user,
            LedgerEntry.reason == "kr_achieved",
        )
        return int(connection.scalar(query) or 0)


def text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_input(value: str | None) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value} if value else None}


def objective_form(
    title: str,
    level: str = "personal",
    team: str | None = None,
    krs: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": {"title": text_input(title)},
        "level": {"level": select_input(level)},
        "kind": {"kind": select_input("committed")},
        "team": {"team": select_input(team)},
        "parent": {"parent": text_input(None)},
    }
    for number, kr in enumerate(krs or [], start=1):
        prefix = f"kr{number}"
        values[f"{prefix}_title"] = {"title": text_input(kr.get("title"))}
        values[f"{prefix}_type"] = {"type": select_input(kr.get("type", "increase_to"))}
        for name in ("start", "target", "unit", "points", "milestones"):
            values[f"{prefix}_{name}"] = {name: text_input(kr.get(name))}
        values[f"{prefix}_owner"] = {
            "owner": {"type": "users_select", "selected_user": kr.get("owner")}
        }
    return values


def checkin_form(rows: dict[str, tuple[str | None, str | None]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for ref, (value, confidence) in rows.items():
        values[f"value:{ref}"] = {"value": text_input(value)}
        values[f"confidence:{ref}"] = {"confidence": select_input(confidence)}
        values[f"note:{ref}"] = {"note": text_input(None)}
    return values


# -- creating an objective through the modal -------------------------------------------------
@pytest.mark.usefixtures("okr_team")
def test_new_objective_modal_creates_an_objective(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/okr", "new", user="U0REP3")
    opened = fake_slack.wait_for("views.open")[0]
    view = {**opened.params["view"], **opened.answered["view"]}  # as Slack has it: id, hash
    assert view["callback_id"] == ids.VIEW_NEW_OBJECTIVE
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert {"kr1_title", "team"} <= block_ids
    assert "kr2_title" not in block_ids  # one key result to start with: 13 fields, not 45
    for count in range(2, 6):  # Add a key result, up to five
        add = next(b for b in view["blocks"] if b["type"] == "actions")["elements"][0]
        assert add["text"]["text"] == "Add a key result"
        slack.block_action(add["action_id"], add["value"], user="U0REP3", view=view)
        updated = fake_slack.wait_for("views.update", count - 1)[count - 2]
        assert updated.params["hash"] == view["hash"]  # a stale form is never overwritten
        view = {**updated.params["view"], **updated.answered["view"]}
        assert f"kr{count}_title" in {b.get("block_id") for b in view["blocks"]}
    assert len(view["blocks"]) <= 100
    assert not any(b["type"] == "actions" for b in view["blocks"])  # five: no more to add

    form = objective_form(
        "Grow my book",
        krs=[
            {
                "title": "Sign 5 new logos",
                "start": "0",
                "target": "5",
                "unit": "logos",
                "points": "40",
            },
            {
                "title": "Launch referral kit",
                "type": "milestones",
                "milestones": "Draft, Pilot, Launch",
                "points": "10",
            },
        ],
    )
    answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").json()
    assert answer["response_action"] == "update"
    shown = texts(answer["view"])
    assert "O3 · Grow my book" in shown
    assert "`K5` *Sign 5 new logos*" in shown
    assert "0/3 milestones: ○ Draft · ○ Pilot · ○ Launch" in shown
    with db.connect() as connection:
        assert (
            connection.scalar(select(Objective.owner_id).where(Objective.ref == "O3")) == "U0REP3"
        )


@pytest.mark.usefixtures("okr_team")
@pytest.mark.parametrize(
    ("user", "form", "block", "message"),
    [
        (
            "U0REP3",
            objective_form("T" * 151, krs=[{"title": "x", "target": "2"}]),
            "title",
            "at most 150 characters",
        ),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": "x", "start": "3", "target": "3"}]),
            "kr1_target",
            "The target must differ from the start",
        ),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": "x", "target": "lots"}]),
            "kr1_target",
            "must be a number such as 45 or 2.5, not “lots”",
        ),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": f"KR {n}", "target": "2"} for n in range(6)]),
            "title",
            "at most 5 key results",
        ),
        (
            "U0REP3",
            objective_form("Goal", "team", "Sales East", [{"title": "x", "target": "2"}]),
            "level",
            "Only managers of Sales East",
        ),
        (
            "U0REP3",
            objective_form("Goal", "company", None, [{"title": "x", "target": "2"}]),
            "level",
            "Only workspace admins",
        ),
        ("U0REP3", objective_form("Goal", krs=[]), "kr1_title", "Add at least one key result"),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": "x", "target": "1", "points": "2000000000"}]),
            "kr1_points",
            "Points must be a whole number from 0 to 10,000, not “2000000000”",
        ),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": "x", "target": "1", "points": "5²"}]),
            "kr1_points",
            "Points must be a whole number from 0 to 10,000",
        ),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": "x", "target": "nan"}]),
            "kr1_target",
            "must be a number such as 45 or 2.5, not “nan”",
        ),
        (
            "U0REP3",
            objective_form("Goal", krs=[{"title": "x", "target": "2", "unit": "u" * 31}]),
            "kr1_unit",
            "Units can be at most 30 characters",
        ),
        (
            "U0REP3",
            objective_form(
                "Goal",
                krs=[
                    {
                        "title": "x",
                        "type": "milestones",
                        "milestones": ", ".join(f"M{n}" for n in range(11)),
                    }
                ],
            ),
            "kr1_milestones",
            "At most 10 milestones, this has 11",
        ),
    ],
)
def test_invalid_objective_forms_get_inline_errors_and_store_nothing(
    slack: SlackSender,
    fake_slack: FakeSlack,
    db: Engine,
    user: str,
    form: dict[str, Any],
    block: str,
    message: str,
) -> None:
    slack.command("/okr", "new", user=user)  # the form as Slack shows it
    fake_slack.wait_for("views.open")
    before = row_counts(db)
    answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user=user).json()
    assert answer["response_action"] == "errors"
    assert message in answer["errors"][block]
    assert row_counts(db) == before


def test_a_team_objective_in_a_workspace_without_teams_is_refused_on_the_level_field(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/okr", "new", user="U0REP3")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    assert "team" not in {b.get("block_id") for b in view["blocks"]}
    before = row_counts(db)
    form = objective_form("Goal", "team", None, [{"title": "x", "target": "2"}])
    del form["team"]
    answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["level"]
    assert "no teams yet" in answer["errors"]["level"]
    assert row_counts(db) == before


# -- checking in ----------------------------------------------------------------------------
@pytest.mark.usefixtures("okr_team")
def test_check_in_modal_records_filled_rows(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/checkin", "", user="U0REP1")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    assert json.loads(view["private_metadata"]) == ["K1", "K3", "K4"]
    assert "Now: 0/20 deals" in texts(view)

    form = checkin_form({"K1": ("20", "9"), "K3": ("4", "7"), "K4": (None, None)})
    answer = slack.view_submission(
        ids.VIEW_CHECKIN, form, view["private_metadata"], user="U0REP1"
    ).json()
    assert answer["response_action"] == "update"
    shown = texts(answer["view"])
    assert ":tada: *K1 achieved!* +100 points" in shown
    assert "Checked in on `K3`" in shown
    assert "K4" not in shown
    assert achieved_points(db, "U0REP1") == 100


@pytest.mark.usefixtures("okr_team")
@pytest.mark.parametrize(
    ("rows", "block", "message"),
    [
        ({"K1": ("lots", "7")}, "value:K1", "The value must be a number"),
        ({"K1": ("5", None)}, "confidence:K1", "Pick how confident you are"),
        ({"K1": (None, None)}, "value:K1", "Fill in a new value"),
        ({"K1": (None, "7")}, "value:K1", "Give the new value too: a confidence goes with a value"),
        ({"K4": ("7", "5")}, "value:K4", "how many of the 3 milestones are done"),
    ],
)
def test_invalid_check_in_forms_get_inline_errors_and_store_nothing(
    slack: SlackSender,
    db: Engine,
    rows: dict[str, tuple[str | None, str | None]],
    block: str,
    message: str,
) -> None:
    before = row_counts(db)
    metadata = json.dumps(list(rows))
    answer = slack.view_submission(
        ids.VIEW_CHECKIN, checkin_form(rows), metadata, user="U0REP1"
    ).json()
    assert answer["response_action"] == "errors"
    assert message in answer["errors"][block]
    assert row_counts(db) == before


def test_the_check_in_form_says_a_value_and_a_confidence_go_together() -> None:
    from bot.domain.okrs import Status
    from bot.services.okrs.okr_views import KRView
    from handlers.okrs.okr_forms import checkin_modal

    kr = KRView(
        ref="K1", title="Close 20 deals", owner_id="U0REP1", kr_type="increase_to", unit="deals", start=0.0, target=20.0, current=5.0, milestones=(), progress=0.25,
        score=0.25, status=Status.ON_TRACK, stale=False, confidences=(), last_checkin=None, points=100, needs=(), objective_ref="O1",
    )  # fmt: skip
    labels = {
        block["block_id"]: block["label"]["text"]
        for block in checkin_modal([kr])["blocks"]
        if block["type"] == "input"
    }
    assert labels["value:K1"] == "New value (with a confidence below)"
    assert labels["confidence:K1"] == "Confidence 0–10 (with the new value)"


@pytest.mark.usefixtures("okr_team")
@pytest.mark.parametrize(
    ("user", "text", "message"),
    [
        ("U0REP1", "K1 lots 7", "The value must be a number"),
        ("U0REP1", "K1 5 11", "Confidence must be a whole number from 0 to 10"),
        ("U0REP1", "K1 5 5²", "Confidence must be a whole number from 0 to 10"),
        ("U0REP1", "K1 5 7 signed\x00 two", "contains invisible control characters"),
        ("U0REP1", "K1 1e400 7", "The value must be a number such as 45 or 2.5, not `1e400`"),
        ("U0REP1", "K1 inf 7", "The value must be a number such as 45 or 2.5, not `inf`"),
        ("U0REP1", "K1 nan 7", "The value must be a number such as 45 or 2.5, not `nan`"),
        ("U0REP1", "K1 5000000000000 7", "The value must be between"),
        ("U0REP1", "K1 5", "Give a value and a confidence after K1"),
        ("U0REP1", "K77 5 5", "There is no key result `K77`"),
        ("U0REP3", "K1 5 5", "only <@U0REP1>, who owns it, or their manager can check in on it"),
        ("U0REP1", "deals 5 5 " + "x" * 501, "Notes can be at most 500 characters"),
    ],
)
def test_bad_quick_check_ins_are_answered_and_store_nothing(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, user: str, text: str, message: str
) -> None:
    before = row_counts(db)
    slack.command("/checkin", text, user=user)
    answer = reply(fake_slack)
    assert answer["text"].startswith(":warning:")
    assert message in answer["text"]
    assert row_counts(db) == before


@pytest.mark.usefixtures("okr_team")
def test_a_kr_code_from_another_workspace_is_not_found(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    before = row_counts(db)
    slack.command("/checkin", "K1 20 9", user="U0REP1", team="T0002")
    assert "There is no key result `K1` in this workspace" in reply(fake_slack)["text"]
    after = row_counts(db)
    assert (after["checkins"], after["ledger_entries"]) == (
        before["checkins"],
        before["ledger_entries"],
    )


# -- the whole story -------------------------------------------------------------------------
@pytest.mark.usefixtures("okr_team")
def test_activities_move_krs_results_earn_once_home_shows_it_and_the_cycle_closes(
    slack: SlackSender,
    fake_slack: FakeSlack,
    db: Engine,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Logging demos moves K2 (counts) and is the leading indicator for K1 (feeds).
    slack.command("/log", "demo 10", user="U0REP2")
    logged = texts(reply(fake_slack))
    assert "+50 points" in logged
    assert ":dart: Moves `K2` Book 40 demos: now 10/40 demos (25%)" in logged
    slack.command("/okr", "K2", user="U0REP2")
    k2 = texts(reply(fake_slack, 2))
    assert "10/40 demos" in k2
    assert "counted from logged demos" in k2

    # A quick check-in on K1, then the detail says what is still needed.
    slack.command("/checkin", "K1 2 6 two pilots signed", user="U0REP1")
    first = texts(reply(fake_slack, 3))
    assert "+2 points for checking in" in first
    slack.command("/okr", "K1", user="U0REP1")
    detail = texts(reply(fake_slack, 4))
    assert "At your current rate, 90 more demos — about 15 a week — reach 20 deals." in detail
    assert "two pilots signed" in detail

    # K1 reaches 100%, dips, recovers: its points arrive once.
    slack.command("/checkin", "K1 20 9 closed the big ones", user="U0REP1")
    assert ":tada: *K1 achieved!* +100 points" in texts(reply(fake_slack, 5))
    slack.command("/checkin", "K1 18 7 one fell through", user="U0REP1")
    reply(fake_slack, 6)
    slack.command("/checkin", "K1 21 9", user="U0REP1")
    assert "achieved" not in texts(reply(fake_slack, 7))
    assert achieved_points(db, "U0REP1") == 100
    slack.command("/points", "", user="U0REP1")
    assert "*102* pts — activity 0 · results 102" in texts(reply(fake_slack, 8))
    slack.command("/leaderboard", "", user="U0REP1")
    assert "<@U0REP1> — *102* pts (activity 0 · results 102)" in texts(reply(fake_slack, 9))

    # App Home: the rep's dashboard, and the manager's view of the team.
    slack.event({"type": "app_home_opened", "user": "U0REP1", "tab": "home"}, event_id="EvHomeRep")
    home = fake_slack.wait_for("views.publish")[0].params["view"]
    assert len(home["blocks"]) <= 100
    rep_home = texts(home)
    assert "Your OKRs · 2026-Q4" in rep_home
    assert "21/20 deals" in rep_home
    assert {
        e["action_id"] for b in home["blocks"] for e in b.get("elements", []) if "action_id" in e
    } >= {
        ids.ACTION_OPEN_LOG_MODAL,
        ids.ACTION_OPEN_CHECKIN,
        ids.ACTION_OPEN_NEW_OBJECTIVE,
    }
    slack.event(
        {"type": "app_home_opened", "user": "U0MANAGER", "tab": "home"}, event_id="EvHomeMgr"
    )
    manager_home = texts(fake_slack.wait_for("views.publish", count=2)[1].params["view"])
    assert "Team Sales East" in manager_home
    assert "Not checked in this week: <@U0REP2>" in manager_home

    # Closing the cycle from the command line scores every key result.
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    before = row_counts(db)
    assert cli(["cycle", "close", "T0001", "2026-Q4"], clock) == 2  # weeks early: asks for --early
    assert "add --early to close it anyway" in capsys.readouterr().err
    assert row_counts(db) == before
    assert (
        cli(["cycle", "close", "T0001", "2026-Q4", "--early"], clock) == 0
    )  # the only workspace: no id needed
    out = capsys.readouterr().out
    assert "K1  1.00  Close 20 deals" in out
    assert "K2  0.25  Book 40 demos" in out
    assert "2026-Q4 closed, 43 day(s) before its end, with 4 key result(s) scored." in out
    slack.command("/okr", "score K2 0.4 two weeks lost to the reorg", user="U0REP2")
    assert "K2 final score is now 0.40" in reply(fake_slack, 10)["text"]


@pytest.mark.usefixtures("okr_team")
def test_okr_pages_for_team_company_member_and_help(
    slack: SlackSender, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    slack.command("/okr", "team Sales East", user="U0REP3")
    team = texts(reply(fake_slack))
    assert "O1 · Win the East coast" in team
    # Created today, nobody has checked in: no status yet, said once, in clean phrases.
    assert "Never checked in yet" in team
    assert "no confidence yet" not in team
    assert "last check-in never" not in team
    assert ":white_circle: no status yet" in team
    assert "off track" not in team
    clock.advance(days=10)  # a tenth of the quarter later, still nothing: the objective says why
    slack.command("/okr", "team Sales East", user="U0REP3")
    later = texts(reply(fake_slack, 2))
    assert ":red_circle: off track (`K1`, `K2` are off track)" in later
    slack.command("/okr", "company", user="U0REP3")
    assert "No objectives here yet" in texts(reply(fake_slack, 3))
    slack.command("/okr", "<@U0REP1|ann>", user="U0REP3")
    member = texts(reply(fake_slack, 4))
    assert "Objectives of <@U0REP1>" in member
    assert "O2 · Keep my accounts healthy" in member
    slack.command("/okr", "help", user="U0REP3")
    assert "`/checkin K12 45 7 pipeline looks good`" in reply(fake_slack, 5)["text"]
    slack.command("/okr", "team", user="U0REP3")
    assert "Which team?" in reply(fake_slack, 6)["text"]


@pytest.mark.usefixtures("okr_team")
def test_milestones_are_ticked_and_blockers_recorded(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    slack.command("/checkin", "", user="U0REP1")
    view = fake_slack.wait_for("views.open")[0].params["view"]
    k4 = next(b for b in view["blocks"] if b.get("block_id") == "value:K4")
    assert k4["element"]["type"] == "checkboxes"
    assert [o["text"]["text"] for o in k4["element"]["options"]] == ["Draft", "Pilot", "Launch"]
    assert len(view["blocks"]) <= 100

    form = checkin_form({"K1": (None, None), "K3": (None, None)})
    form["value:K4"] = {
        "value": {"type": "checkboxes", "selected_options": [{"value": "0"}, {"value": "1"}]}
    }
    form["confidence:K4"] = {"confidence": select_input("6")}
    form["note:K4"] = {"note": text_input("pilot live")}
    form["blockers:K4"] = {"blockers": text_input("legal review")}
    answer = slack.view_submission(
        ids.VIEW_CHECKIN, form, view["private_metadata"], user="U0REP1"
    ).json()
    assert answer["response_action"] == "update"
    assert "2/3 milestones: ✓ Draft · ✓ Pilot · ○ Launch" in texts(answer["view"])
    slack.command("/okr", "K4", user="U0REP1")
    detail = texts(reply(fake_slack))
    assert "pilot live · :construction: legal review" in detail


@pytest.mark.usefixtures("okr_team")
def test_the_season_board_covers_the_cycle(
    slack: SlackSender, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    slack.command("/log", "proposal 2", user="U0REP3")
    reply(fake_slack)
    clock.advance(days=21)  # three weeks later, still in 2026-Q4
    slack.command("/leaderboard", "season", user="U0REP3")
    board = texts(reply(fake_slack, 2))
    assert "season 2026-Q4" in board
    assert "<@U0REP3> — *20* pts" in board
    slack.command("/leaderboard", "", user="U0REP3")
    assert "No points yet for this period." in texts(reply(fake_slack, 3))


@pytest.mark.usefixtures("okr_team")
def test_archiving_an_objective_hides_it_and_its_key_results(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    before = row_counts(db)
    slack.command("/okr", "archive O2", user="U0REP3")
    assert "Only <@U0REP1> can archive their personal objective." in reply(fake_slack)["text"]
    assert row_counts(db) == before
    slack.command("/okr", "archive O2", user="U0REP1")
    assert "Archived O2: Keep my accounts healthy." in reply(fake_slack, 2)["text"]
    slack.command("/okr", "", user="U0REP1")
    page = texts(reply(fake_slack, 3))
    assert "O2" not in page
    assert "O1 · Win the East coast" in page
    slack.command("/checkin", "K3 4 7", user="U0REP1")
    assert reply(fake_slack, 4)["text"] == (
        ":warning: K3 is archived (objective O2): its history stays, but it takes no check-ins."
    )
    slack.command("/okr", "K4", user="U0REP1")
    assert "K4 is archived (objective O2)" in reply(fake_slack, 5)["text"]


@pytest.mark.usefixtures("okr_team")
def test_okr_shows_an_objective_by_its_code_and_archive_permissions_say_archive(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/okr", "O1", user="U0REP3")
    page = texts(reply(fake_slack))
    assert "Objective O1" in page
    assert "O1 · Win the East coast" in page
    assert "`K1` *Close 20 deals*" in page
    before = row_counts(db)
    slack.command("/okr", "archive O1", user="U0REP3")
    assert reply(fake_slack, 2)["text"] == (
        ":warning: Only managers of Sales East can archive its objectives."
    )
    assert row_counts(db) == before
    slack.command("/checkin", "O1 4 7", user="U0REP3")
    assert "`O1` is an objective" in reply(fake_slack, 3)["text"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/points", "*Points*"),
        ("/leaderboard", "*Leaderboards*"),
        ("/checkin", "*Checking in on key results*"),
        ("/okr", "*OKRs in okrbot*"),
        ("/log", "*How to log:*"),
    ],
)
@pytest.mark.usefixtures("okr_team")
def test_help_works_after_every_command(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, command: str, expected: str
) -> None:
    before = row_counts(db)
    slack.command(command, "help", user="U0REP1")
    assert expected in texts(reply(fake_slack))
    assert row_counts(db) == before


@pytest.mark.usefixtures("okr_team")
def test_admins_close_the_cycle_from_app_home(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.event(
        {"type": "app_home_opened", "user": "U0ADMIN", "tab": "home"}, event_id="EvAdminHome"
    )
    home = fake_slack.wait_for("views.publish")[0].params["view"]
    close = next(
        e
        for b in home["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == ids.ACTION_CLOSE_CYCLE
    )
    assert close["confirm"]["title"]["text"] == "Close 2026-Q4 43 days early?"
    assert "still has 43 days to go" in close["confirm"]["text"]["text"]

    slack.event({"type": "app_home_opened", "user": "U0REP1", "tab": "home"}, event_id="EvRepHome")
    rep_home = fake_slack.wait_for("views.publish", count=2)[1].params["view"]
    assert ids.ACTION_CLOSE_CYCLE not in json.dumps(rep_home)
    before = row_counts(db)
    slack.block_action(ids.ACTION_CLOSE_CYCLE, close["value"], user="U0REP1", container="view")
    refused = fake_slack.wait_for("chat.postMessage")[0].params
    assert "Only workspace admins can close a cycle." in refused["text"]
    assert row_counts(db) == before

    slack.block_action(ids.ACTION_CLOSE_CYCLE, close["value"], user="U0ADMIN", container="view")
    summary = fake_slack.wait_for("chat.postMessage", count=2)[1].params
    assert summary["channel"] == "U0ADMIN"
    assert "2026-Q4 is closed, 43 day(s) early." in summary["text"]
    assert "`K1` 0.00 — Close 20 deals" in summary["text"]
    # The admin's App Home is published again, without the button for the closed cycle.
    refreshed = fake_slack.wait_for("views.publish", count=3)[2].params
    assert refreshed["user_id"] == "U0ADMIN"
    assert "Close 2026-Q4" not in json.dumps(refreshed["view"])


@pytest.mark.usefixtures("okr_team")
def test_slack_workspace_admins_may_create_company_objectives(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.admins.add("U0REP3")  # an admin in Slack (users.info), not in the playbook
    form = objective_form(
        "Be the market leader", "company", None, [{"title": "Grow ARR", "target": "10"}]
    )
    answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").json()
    assert answer["response_action"] == "update"
    assert "Company · committed" in texts(answer["view"])


def all_sections_fit(blocks: list[dict[str, Any]]) -> bool:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and len(text.get("text", "")) > (
            150 if block["type"] == "header" else 3000
        ):
            return False
        for element in block.get("elements", []):
            if isinstance(element, dict) and len(str(element.get("text", ""))) > 3000:
                return False
    return True


@pytest.mark.usefixtures("okr_team")
def test_many_okrs_are_summarised_within_block_kit_limits(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    from bot.app import build_services
    from bot.domain.objective_drafts import KRDraft, ObjectiveDraft

    services = build_services(db, clock)
    for number in range(25):
        krs = [
            KRDraft(
                title=f"Key result {number}.{k} " + "x" * 120,
                kr_type="increase_to",
                start="0",
                target="10",
            )
            for k in range(5)
        ]
        services.okrs.create_objective(
            "T0001",
            "U0REP1",
            ObjectiveDraft(
                title=f"Objective {number} " + "y" * 130, level="personal", key_results=krs
            ),
        )

    slack.command("/okr", "", user="U0REP1")
    page = reply(fake_slack)
    assert len(page["blocks"]) <= 50
    assert all_sections_fit(page["blocks"])
    assert "more objectives than fit here" in texts(page)

    slack.event({"type": "app_home_opened", "user": "U0REP1", "tab": "home"}, event_id="EvManyOkrs")
    home = fake_slack.wait_for("views.publish")[0].params["view"]
    assert len(home["blocks"]) <= 100
    assert all_sections_fit(home["blocks"])
    assert "more than fits here" in texts(home)

    slack.command("/checkin", "", user="U0REP1")
    form = fake_slack.wait_for("views.open")[0].params["view"]
    assert len(form["blocks"]) <= 100
    assert "more key results: check in on them with" in texts(form)


@pytest.mark.usefixtures("okr_team")
def test_a_replayed_request_is_handled_once(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    slack.command("/checkin", "K1 5 7", user="U0REP1")
    after_first = row_counts(db)
    again = slack.replay()  # the same signed request a second time
    assert again.status == 200
    assert again.body == ""
    assert row_counts(db) == after_first
    slack.command("/okr", "new", user="U0REP3")
    fake_slack.wait_for("views.open")
    form = objective_form("Goal", krs=[{"title": "x", "target": "2"}])
    assert slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").status == 200
    fake_slack.wait_for("chat.postMessage")  # its manager is asked to approve its points
    created = row_counts(db)
    assert slack.replay().body == ""
    assert row_counts(db) == created


# -- consent: nobody awards themselves points -------------------------------------------------
def home_of(fake_slack: FakeSlack, user: str, count: int) -> dict[str, Any]:
    return [
        c.params["view"]
        for c in fake_slack.wait_for("views.publish", count=count)
        if c.params["user_id"] == user
    ][-1]


@pytest.mark.usefixtures("okr_team")
def test_personal_result_points_wait_for_a_managers_approval(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    form = objective_form("Me", krs=[{"title": "One deal", "target": "1", "points": "10000"}])
    answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").json()
    ref = texts(answer["view"]).split("`")[1]
    asked = fake_slack.wait_for("chat.postMessage")[0].params  # the manager is asked, in a DM
    assert asked["channel"] == "U0MANAGER"
    assert f"<@U0REP3>'s key result `{ref}`" in texts(asked)
    assert ids.ACTION_APPROVE_POINTS in json.dumps(asked["blocks"])
    slack.command("/checkin", f"{ref} 1 9", user="U0REP3")
    assert achieved_points(db, "U0REP3") == 0  # 100%, but not approved
    assert "Not counting yet: its points wait for a manager's approval" in texts(reply(fake_slack))

    slack.event({"type": "app_home_opened", "user": "U0REP3", "tab": "home"}, event_id="EvR3")
    assert ids.ACTION_APPROVE_POINTS not in json.dumps(home_of(fake_slack, "U0REP3", 1))
    slack.block_action(ids.ACTION_APPROVE_POINTS, ref, user="U0REP3", container="view")
    refused = fake_slack.wait_for("chat.postMessage", 2)[1].params
    assert f"{ref} is yours: its points are approved by your manager or an admin" in refused["text"]
    slack.block_action(ids.ACTION_APPROVE_POINTS, ref, user="U0REP1", container="view")
    assert (
        "Only a manager of <@U0REP3>"
        in fake_slack.wait_for("chat.postMessage", 3)[2].params["text"]
    )
    assert achieved_points(db, "U0REP3") == 0

    slack.event({"type": "app_home_opened", "user": "U0MANAGER", "tab": "home"}, event_id="EvM")
    home = home_of(fake_slack, "U0MANAGER", 2)
    assert "Points awaiting your approval" in texts(home)
    slack.block_action(ids.ACTION_APPROVE_POINTS, ref, user="U0MANAGER")  # from the DM
    told = fake_slack.wait_for("chat.postMessage", 4)[3].params
    assert told["channel"] == "U0REP3"
    assert "approved the points" in told["text"]
    assert "+10000 points" in told["text"]
    assert achieved_points(db, "U0REP3") == 10_000
    answered = fake_slack.wait_for("chat.postMessage", 5)[4].params
    assert answered["channel"] == "U0MANAGER"
    assert answered["text"].startswith(":white_check_mark: You approved the points")
    slack.block_action(ids.ACTION_APPROVE_POINTS, ref, user="U0MANAGER", container="view")
    fake_slack.wait_for("chat.postMessage", 6)
    assert achieved_points(db, "U0REP3") == 10_000  # once
    slack.command("/okr", "new", user="U0REP3")  # a later form asks nobody again
    to_manager = [
        texts(c.params) for c in fake_slack.calls_to("chat.postMessage")
        if c.params["channel"] == "U0MANAGER"
    ]  # fmt: skip
    assert sum(f"<@U0REP3>'s key result `{ref}`" in text for text in to_manager) == 1


@pytest.mark.usefixtures("okr_team")
def test_a_key_result_given_to_someone_else_counts_once_they_accept(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    form = objective_form(
        "Help a teammate", krs=[{"title": "Their deal", "target": "1", "owner": "U0REP2"}]
    )
    answer = slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").json()
    ref = texts(answer["view"]).split("`")[1]
    invite = fake_slack.wait_for("chat.postMessage")[0].params
    assert invite["channel"] == "U0REP2"
    assert f"<@U0REP3> made you the owner of `{ref}`" in texts(invite)
    slack.command("/checkin", f"{ref} 1 9", user="U0REP2")
    assert "waiting for <@U0REP2> to accept it" in reply(fake_slack)["text"]
    slack.block_action(ids.ACTION_ACCEPT_KR, ref, user="U0REP3")  # not theirs to accept
    assert "Only <@U0REP2>, its owner" in reply(fake_slack, 2)["text"]
    slack.block_action(ids.ACTION_ACCEPT_KR, ref, user="U0REP2")
    assert f"You own `{ref}`" in reply(fake_slack, 3)["text"]
    told = fake_slack.wait_for("chat.postMessage", 2)[1].params
    assert (told["channel"], told["text"]) == ("U0REP3", f"<@U0REP2> accepted `{ref}` Their deal.")
    slack.command("/checkin", f"{ref} 1 9", user="U0REP2")
    assert "Checked in on" in texts(reply(fake_slack, 4))


@pytest.mark.usefixtures("okr_team")
def test_declining_archives_and_managers_assign_directly(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, server: Server
) -> None:
    form = objective_form("Help", krs=[{"title": "Theirs", "target": "1", "owner": "U0REP2"}])
    ref = texts(
        slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3").json()["view"]
    ).split("`")[1]
    fake_slack.wait_for("chat.postMessage")
    slack.block_action(ids.ACTION_DECLINE_KR, ref, user="U0REP2")
    assert "it is archived" in reply(fake_slack)["text"]
    slack.command("/okr", ref, user="U0REP2")
    assert f"{ref} is archived" in reply(fake_slack, 2)["text"]

    team = objective_form(
        "Team push",
        "team",
        "Sales East",
        [{"title": "Big deal", "target": "1", "owner": "U0REP2", "points": "5"}],
    )
    ref = texts(
        slack.view_submission(ids.VIEW_NEW_OBJECTIVE, team, user="U0MANAGER").json()["view"]
    ).split("`")[1]
    server.runtime.services.scheduler.send_invitations("T0001")
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # the decline note; no invite
    slack.command("/checkin", f"{ref} 1 9", user="U0REP2")
    assert f":tada: *{ref} achieved!*" in texts(reply(fake_slack, 3))


@pytest.mark.usefixtures("okr_team")
def test_a_manager_cannot_award_themselves_and_unapproved_results_earn_no_checkin_points(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    own = objective_form(
        "Mine too", "team", "Sales East", [{"title": "My deal", "target": "1", "points": "500"}]
    )
    ref = texts(
        slack.view_submission(ids.VIEW_NEW_OBJECTIVE, own, user="U0MANAGER").json()["view"]
    ).split("`")[1]
    slack.command("/checkin", f"{ref} 1 9", user="U0MANAGER")
    shown = texts(reply(fake_slack))
    assert "its points wait for a manager's approval" in shown
    assert "for checking in" not in shown
    assert achieved_points(db, "U0MANAGER") == 0
    with db.connect() as connection:
        earned = connection.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.workspace_id == "T0001", LedgerEntry.user_id == "U0MANAGER"
            )
        )
    assert earned == 0
    slack.block_action(ids.ACTION_APPROVE_POINTS, ref, user="U0ADMIN", container="view")
    fake_slack.wait_for("chat.postMessage")
    assert achieved_points(db, "U0MANAGER") == 500  # an admin approved it


# -- every form and command stored once ------------------------------------------------------
def count_of(db: Engine, table: str) -> int:
    with db.connect() as connection:
        return int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.mark.usefixtures("okr_team")
def test_a_check_in_form_submitted_three_times_is_stored_once_with_the_same_answer(
    slack: SlackSender, db: Engine
) -> None:
    form = checkin_form({"K1": ("5", "7")})
    answers = [
        slack.view_submission(ids.VIEW_CHECKIN, form, '["K1"]', view_id="V0SAME").json()
        for _ in range(3)
    ]
    assert count_of(db, "checkins") == 1
    assert answers[0]["response_action"] == "update"
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]
    again = slack.view_submission(ids.VIEW_CHECKIN, form, '["K1"]', view_id="V0OTHER")
    assert again.status == 200
    assert count_of(db, "checkins") == 2  # another form is another check-in


@pytest.mark.usefixtures("okr_team")
def test_a_corrected_form_goes_through_after_an_error_on_the_same_view(
    slack: SlackSender, db: Engine
) -> None:
    bad = slack.view_submission(
        ids.VIEW_CHECKIN, checkin_form({"K1": ("lots", "7")}), '["K1"]', view_id="V0FIX"
    ).json()
    assert bad["response_action"] == "errors"
    good = slack.view_submission(
        ids.VIEW_CHECKIN, checkin_form({"K1": ("6", "7")}), '["K1"]', view_id="V0FIX"
    ).json()
    assert good["response_action"] == "update"
    assert count_of(db, "checkins") == 1


@pytest.mark.usefixtures("okr_team")
def test_a_new_objective_form_submitted_three_times_makes_one_objective(
    slack: SlackSender, db: Engine
) -> None:
    before = count_of(db, "objectives"), count_of(db, "key_results")
    form = objective_form("Grow my book", krs=[{"title": "Sign 5 logos", "target": "5"}])
    answers = [
        slack.view_submission(ids.VIEW_NEW_OBJECTIVE, form, user="U0REP3", view_id="V0OBJ").json()
        for _ in range(3)
    ]
    assert (count_of(db, "objectives"), count_of(db, "key_results")) == (
        before[0] + 1,
        before[1] + 1,
    )
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]


@pytest.mark.usefixtures("okr_team")
def test_a_checkin_command_sent_again_with_its_trigger_is_stored_once(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine
) -> None:
    body = slack.command_body("/checkin", "K1 5 7 signed two")
    now = int(time.time())
    answers = [  # each signed anew (another timestamp): not a replay of the same request
        slack.post(body, "application/x-www-form-urlencoded", timestamp=now - seconds)
        for seconds in range(3)
    ]
    assert all(answer.status == 200 for answer in answers)
    assert count_of(db, "checkins") == 1
    assert "Checked in" in answers[0].json()["text"]
    assert answers[1].json() == answers[0].json()


@pytest.mark.usefixtures("okr_team")
def test_a_token_form_submitted_twice_makes_one_token_and_shows_its_secret_once(
    slack: SlackSender, db: Engine
) -> None:
    values = {
        ids.BLOCK_TOKEN_NAME: {ids.INPUT_TOKEN_NAME: text_input("crm")},
        ids.BLOCK_TOKEN_SCOPES: {
            ids.INPUT_TOKEN_SCOPES: {
                "type": "checkboxes",
                "selected_options": [{"value": "points:read"}],
            }
        },
    }
    first, second = (
        slack.view_submission(ids.VIEW_NEW_TOKEN, values, user="U0ADMIN", view_id="V0TOKEN").json()
        for _ in range(2)
    )
    assert count_of(db, "api_tokens") == 1
    assert "okr_" in json.dumps(first)
    assert "okr_" not in json.dumps(second)
    assert "created already" in json.dumps(second)


@pytest.mark.usefixtures("okr_team")
def test_a_double_click_on_add_a_key_result_adds_one_and_logs_no_error(
    slack: SlackSender, fake_slack: FakeSlack, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    slack.command("/okr", "new", user="U0REP3")
    opened = fake_slack.wait_for("views.open")[0]
    view = {**opened.params["view"], **opened.answered["view"]}
    add = next(b for b in view["blocks"] if b["type"] == "actions")["elements"][0]
    with caplog.at_level(logging.INFO):
        for _ in range(2):  # both clicks carry the form as it was: the second is stale
            slack.block_action(add["action_id"], add["value"], user="U0REP3", view=view)
        fake_slack.wait_for("views.update", 2)
        server.runtime.pool.wait_idle(timeout=10)
    shown = fake_slack.views[view["id"]]
    assert sum(1 for b in shown["blocks"] if b.get("block_id") == "kr2_title") == 1
    assert "kr3_title" not in {b.get("block_id") for b in shown["blocks"]}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
