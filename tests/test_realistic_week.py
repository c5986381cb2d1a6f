"""A realistic week at the limits, against the strict fake Slack: every payload is accepted.

Long names everywhere, 110 activities, a key result with 12 milestones (stored before the
limit of 10 existed), and 25 reps who never log: nudges, reminders, the Friday board, Monday's
digests, forms, pages and App Home all go out, and Slack refuses none of them.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.domain.schedule import Job
from bot.playbook import parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers import ids
from storage.db import unit_of_work_factory
from storage.models import KeyResult
from tests.conftest import FakeClock
from tests.helpers import texts
from tests.test_scheduler import FakeTime, make_services, utc

TEAM = "Enterprise Accounts, North America East Coast: Strategic Expansion Squad 2026"
ACTIVE = [f"U1{n:03d}" for n in range(5)]
INACTIVE = [f"U2{n:03d}" for n in range(25)]
UNIT = "qualified enterprise opportuni"  # 30 characters, the most a unit may have
MILESTONE = "Milestone {n}: " + "m" * 60


def activity_name(n: int) -> str:
    return f"{n:03d} Outbound discovery call with a decision maker at an enterprise account"[:80]


def playbook() -> str:
    activities = "\n".join(
        f"  - {{key: a{n:03d}, name: '{activity_name(n)}', points: {n % 7 + 1}}}"
        for n in range(110)
    )
    milestones = ", ".join(f"'{MILESTONE.format(n=n)}'" for n in range(10))
    title = "Grow the enterprise book of business " + "x" * 113
    members = ", ".join(ACTIVE + INACTIVE)
    return f"""
workspace: T0001
timezone: America/New_York
admins: [U0ADMIN]
cycles:
  - {{name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}}
activities:
{activities}
teams:
  - name: "{TEAM}"
    channel: C0BIG
    managers: [U0MANAGER]
    members: [{members}]
objectives:
  - ref: O1
    title: "{title}"
    level: team
    team: "{TEAM}"
    key_results:
      - {{ref: K1, title: "{title}", type: increase_to, start: 0, target: 9000000, unit: "{UNIT}", owner: U1000, points: 100}}
      - {{ref: K2, title: Launch the partner programme, type: milestones, milestones: [{milestones}], owner: U1000, points: 50}}
      - {{ref: K3, title: Churn below 5%, type: stay_below, target: 5, unit: "%", owner: U1001, points: 20}}
"""


def twelve_milestones(db: Engine) -> None:
    """K2 as a workspace stored it before milestones were limited to 10."""
    with unit_of_work_factory(db)() as uow:
        kr = uow.session.scalars(select(KeyResult).where(KeyResult.ref == "K2")).one()
        kr.milestones = [MILESTONE.format(n=n) for n in range(12)]
        kr.milestones_done = [n < 3 for n in range(12)]
        uow.commit()


@pytest.fixture
def big_team(db: Engine, clock: FakeClock) -> None:
    from bot.app import build_services

    build_services(db, clock).setup.import_playbook(parse_playbook(playbook()))
    twelve_milestones(db)


@pytest.mark.usefixtures("big_team")
def test_a_week_at_the_limits_is_accepted_by_slack(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    services = make_services(db, clock, fake_slack, FakeTime())
    fake_slack.names.update({user: f"Rep {user} Longname-Example" for user in INACTIVE})

    # Monday to Friday: the active reps log and check in from Slack; everyone else is nudged.
    for day in (23, 24, 25, 26, 27):
        clock.set(utc(day, 14))
        for user in ACTIVE:
            assert slack.command("/log", "a042 3 met the CFO", user=user).status == 200
        fake_slack.wait_for("response_url", count=len(ACTIVE) * (day - 22))
        clock.set(utc(day, 15))  # 10:00: Friday's check-in reminders
        assert services.scheduler.tick().failed == 0
        clock.set(utc(day, 21))  # 16:00 in New York
        report = services.scheduler.tick()
        assert report.failed == 0, report.errors
    nudges = [
        c for c in fake_slack.calls_to("chat.postMessage") if "Nothing logged" in c.params["text"]
    ]
    assert len(nudges) == 5 * len(INACTIVE)
    buttons = [
        e
        for b in nudges[0].params["blocks"]
        for e in b.get("elements", [])
        if e.get("type") == "button"
    ]
    assert len({b["action_id"] for b in buttons}) == len(buttons) == 3
    assert all(len(b["text"]["text"]) <= 75 for b in buttons)

    # Friday: check-in reminders went out at 10:00 and the board at 16:00.
    posts = fake_slack.calls_to("chat.postMessage")
    reminders = [c for c in posts if "Check-in due" in c.params["text"]]
    assert {c.params["channel"] for c in reminders} == {"U1000", "U1001"}
    boards = [c.params for c in posts if "leaderboard" in c.params["text"]]
    assert len(boards) == 1
    assert ":first_place_medal:" in texts(boards[0])
    assert services.scheduler.run_job(Job.LEADERBOARD_POST).sent == 0

    # Monday: the digests, for the manager (25 with no activity) and for the channel.
    clock.set(utc(30, 14))
    assert services.scheduler.tick().failed == 0
    clock.set(utc(30, 14, 30))
    assert services.scheduler.tick().failed == 0
    digest = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "D0MANAGER"
    ][-1]
    body = texts(digest.params)
    assert "Mon 23 – Sun 29 Nov" in body
    nudge_buttons = [
        e
        for b in digest.params["blocks"]
        for e in b.get("elements", [])
        if str(e.get("action_id", "")).startswith(ids.ACTION_NUDGE_REP)
    ]
    assert len(nudge_buttons) == 20
    assert nudge_buttons[0]["text"]["text"] == "Nudge Rep U2000 Longname-Example"
    assert "Nudge buttons for the first 20; 5 more are listed above." in body
    assert fake_slack.calls_to("chat.postMessage")[-1].params["channel"] == "C0BIG"

    # Forms, pages and App Home with the same data.
    slack.command("/log", "help")
    slack.command("/log", "")
    log_form = fake_slack.wait_for("views.open")[0].params["view"]
    assert len(log_form["blocks"][0]["element"]["options"]) == 100
    slack.command("/checkin", "", user="U1000")
    checkin_form = fake_slack.wait_for("views.open", 2)[1].params["view"]
    assert json.loads(checkin_form["private_metadata"]) == ["K1", "K2"]
    assert "how many of the 12 milestones are done" in json.dumps(checkin_form)
    form = {
        "value:K1": {"value": {"type": "plain_text_input", "value": "4,500,000"}},
        "confidence:K1": {
            "confidence": {"type": "static_select", "selected_option": {"value": "7"}}
        },
        "value:K2": {"value": {"type": "plain_text_input", "value": "5"}},
        "confidence:K2": {
            "confidence": {"type": "static_select", "selected_option": {"value": "6"}}
        },
    }
    answer = slack.view_submission(
        ids.VIEW_CHECKIN, form, checkin_form["private_metadata"], user="U1000"
    ).json()
    assert answer["response_action"] == "update"
    assert "4,500,000/9,000,000" in texts(answer["view"])
    assert "5/12 milestones" in texts(answer["view"])
    slack.command("/checkin", "K2 4 7", user="U1000")
    slack.command("/okr", "K1", user="U1000")
    so_far = fake_slack.wait_for("response_url", count=len(ACTIVE) * 5 + 3)
    assert any(f"0/9,000,000 {UNIT}" in texts(r.params) for r in so_far)
    slack.command("/okr", "", user="U1000")
    slack.command("/okr", f"team {TEAM}", user="U0MANAGER")
    slack.command("/leaderboard", "all")
    slack.command("/points")
    for user in ("U1000", "U0MANAGER", "U0ADMIN"):
        slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id=f"Ev{user}")
    fake_slack.wait_for("views.publish", 3)
    replies = fake_slack.wait_for("response_url", count=len(ACTIVE) * 5 + 7)
    assert any("Checked in on" in texts(r.params) for r in replies)
    assert fake_slack.rejections == []
