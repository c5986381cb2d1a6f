"""Scheduled jobs with an injected clock: right people, right local times, exactly once."""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

import bot.services.schedule.scheduled_content as content_module
from bot.app import build_services
from bot.domain.objective_drafts import KRDraft, ObjectiveDraft
from bot.domain.okr_parsing import parse_okr
from bot.domain.schedule import JOBS, Audience, Job
from bot.pacing import Pacer
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_calls import Call
from bot.services import Services
from bot.services.okrs.checkins import CheckinRow
from bot.services.schedule.digests import build_digest
from bot.services.schedule.workspace_data import CHART_POINTS, WorkspaceData
from bot.slack_edge import SingleToken
from bot.slack_outbox import SlackOutbox
from handlers.schedule import scheduled_blocks
from storage.db import make_engine, unit_of_work_factory
from storage.models import KeyResult, ScheduledSend
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, import_playbook, texts

TIMEZONES = {
    "U0REP1": "America/New_York",
    "U0REP2": "Europe/Berlin",
    "U0REP3": "Asia/Tokyo",
    "U0MANAGER": "America/Los_Angeles",
}
NUDGE_TEXT = "Nothing logged today yet"
# U0MANAGER manages Sales East and a second team, Sales West (with U0REP4).
TWO_TEAMS_ONE_MANAGER = OKR_PLAYBOOK.replace(
    "    members: [U0REP1, U0REP2, U0REP3]",
    "    members: [U0REP1, U0REP2, U0REP3]\n"
    "  - name: Sales West\n    channel: C0SALESWEST\n    managers: [U0MANAGER]\n"
    "    members: [U0REP4]",
)


@dataclass
class FakeTime:
    """Monotonic time and sleep for the outbox: waits are recorded, nothing really sleeps."""

    now_s: float = 0.0
    waits: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now_s += seconds


@dataclass
class Harness:
    services: Services
    time: FakeTime
    clock: FakeClock
    fake: FakeSlack

    def at(self, moment: datetime) -> Services:
        self.clock.set(moment)
        self.services.scheduler.tick()
        return self.services

    def posts(self, channel: str | None = None, text: str | None = None) -> list[Call]:
        calls = self.fake.calls_to("chat.postMessage")
        return [
            c
            for c in calls
            if (channel is None or c.params.get("channel") == channel)
            and (text is None or text in texts(c.params))
        ]


def make_services(engine: Engine, clock: FakeClock, fake: FakeSlack, time: FakeTime) -> Services:
    client = SingleToken("xoxb-test", fake.api_url)
    outbox = SlackOutbox(
        client,
        scheduled_blocks.render,
        Pacer(now=time.now, sleep=time.sleep),
        sleep=time.sleep,
        wall_clock=lambda: clock.now().timestamp(),
    )
    return build_services(engine, clock, client, outbox)


@pytest.fixture
def harness(db: Engine, clock: FakeClock, fake_slack: FakeSlack) -> Harness:
    fake_slack.timezones.update(TIMEZONES)
    import_playbook(db, clock, OKR_PLAYBOOK)
    time = FakeTime()
    return Harness(make_services(db, clock, fake_slack, time), time, clock, fake_slack)


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# -- activity nudge ----------------------------------------------------------------------------
def test_nudges_go_out_at_16_00_in_each_reps_own_timezone(harness: Harness) -> None:
    harness.at(utc(20, 6, 59))
    assert harness.posts(text=NUDGE_TEXT) == []
    harness.at(utc(20, 7, 0))  # 16:00 in Tokyo
    assert [c.params["channel"] for c in harness.posts(text=NUDGE_TEXT)] == ["U0REP3"]
    harness.at(utc(20, 15, 0))  # 16:00 in Berlin
    harness.at(utc(20, 21, 0))  # 16:00 in New York
    harness.at(utc(20, 21, 5))
    assert [c.params["channel"] for c in harness.posts(text=NUDGE_TEXT)] == [
        "U0REP3",
        "U0REP2",
        "U0REP1",
    ]
    assert harness.posts("U0MANAGER", NUDGE_TEXT) == []  # managers are not nudged


def test_reps_who_logged_today_are_not_nudged(harness: Harness) -> None:
    harness.clock.set(utc(20, 14))
    harness.services.activities.log_text("T0001", "U0REP1", "call 2")
    harness.at(utc(20, 21, 0))
    assert harness.posts("U0REP1", NUDGE_TEXT) == []
    with _uow(harness) as uow:
        statuses = {
            s.recipient: s.status for s in uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)
        }
    assert statuses["U0REP1"] == "skipped"


def _uow(harness: Harness) -> Any:
    return harness.services.scheduler.ctx.uow()


def test_the_nudge_offers_the_reps_favourite_activities_and_their_streak(harness: Harness) -> None:
    for day in (17, 18, 19):  # Tue to Thu: a three-day streak, demos most often
        harness.clock.set(utc(day, 15))
        harness.services.activities.log_text("T0001", "U0REP1", "demo 3")
        harness.services.activities.log_text("T0001", "U0REP1", "call 1")
    harness.at(utc(20, 21, 0))
    nudge = harness.posts("U0REP1", "ends tonight")[0].params
    assert "Your streak of *3 working days* ends tonight" in texts(nudge)
    assert "pause these with `/okr away until 2026-11-27`" in texts(nudge)  # a week on
    buttons = [
        e for b in nudge["blocks"] for e in b.get("elements", []) if e.get("type") == "button"
    ]
    assert [b["value"] for b in buttons] == ["demo", "call", "proposal"]


def test_dst_changes_neither_skip_nor_double_a_nudge(harness: Harness) -> None:
    # New York falls back on Sunday 1 November; tick every 30 minutes from Friday to Tuesday.
    moment, end = utc(30, 12, month=10), utc(3, 23, 30)
    sent_at: list[datetime] = []
    while moment <= end:
        before = len(harness.posts("U0REP1", NUDGE_TEXT))
        harness.at(moment)
        if len(harness.posts("U0REP1", NUDGE_TEXT)) > before:
            sent_at.append(moment)
        moment += timedelta(minutes=30)
    assert sent_at == [utc(30, 20, month=10), utc(2, 21), utc(3, 21)]  # 16:00 EDT, then 16:00 EST


def test_away_members_and_holidays_are_not_nudged(harness: Harness, db: Engine) -> None:
    harness.services.scheduler.set_away("T0001", "U0REP1", utc(20, 12).date())
    harness.at(utc(20, 21))
    assert harness.posts("U0REP1", NUDGE_TEXT) == []
    import_playbook(db, harness.clock, OKR_PLAYBOOK + "holidays: [2026-11-23]\n")
    harness.at(utc(23, 21))
    assert harness.posts("U0REP1", NUDGE_TEXT) == []
    harness.at(utc(24, 21))
    assert len(harness.posts("U0REP1", NUDGE_TEXT)) == 1


def test_nudges_can_be_switched_off_per_team(harness: Harness, db: Engine) -> None:
    schedules = "schedules:\n  activity-nudge:\n    teams:\n      Sales East: {enabled: false}\n"
    import_playbook(db, harness.clock, OKR_PLAYBOOK + schedules)
    harness.at(utc(20, 21))
    assert harness.posts(text=NUDGE_TEXT) == []


# -- check-in reminder -------------------------------------------------------------------------
def test_checkin_reminders_skip_owners_who_already_checked_in(harness: Harness) -> None:
    harness.clock.set(utc(18, 15))
    harness.services.okrs.check_in(
        "T0001", "U0REP2", [CheckinRow(ref="K2", value="3", confidence="6")]
    )
    harness.at(utc(20, 9))  # 10:00 in Berlin
    harness.at(utc(20, 15))  # 10:00 in New York
    reminders = harness.posts(text="Time for your weekly check-in")
    assert [c.params["channel"] for c in reminders] == ["U0REP1"]
    body = texts(reminders[0].params)
    assert "`K1` Close 20 deals" in body
    assert "`K4` Referral program" in body
    assert "Check in" in body


# -- digests -------------------------------------------------------------------------------------
def seed_two_weeks(harness: Harness) -> None:
    services = harness.services
    harness.clock.set(utc(10, 15))  # the week before last
    services.activities.log_text("T0001", "U0REP1", "call 2")
    services.activities.log_text("T0001", "U0REP2", "demo 1")
    services.okrs.check_in("T0001", "U0REP1", [CheckinRow(ref="K1", value="2", confidence="5")])
    harness.clock.set(utc(18, 15))  # last week
    services.activities.log_text("T0001", "U0REP1", "call 5")
    services.activities.log_text("T0001", "U0REP3", "proposal 1")
    services.okrs.check_in(
        "T0001", "U0REP1", [CheckinRow(ref="K1", value="6", confidence="7", note="two more signed")]
    )


def test_the_manager_digest_links_effort_to_results(harness: Harness) -> None:
    harness.fake.names.update({"U0REP2": "Bea Berlin", "U0REP3": "Cho Tokyo"})
    seed_two_weeks(harness)
    harness.at(utc(23, 17))  # Monday 09:00 in Los Angeles
    opened = harness.fake.calls_to("conversations.open")
    assert [c.params["users"] for c in opened] == ["U0MANAGER"]
    digest = harness.posts("D0MANAGER")[0].params
    body = texts(digest)
    assert "Sales East · weekly OKR digest" in body
    # Monday's digest is about last week, and says so by its dates, never "this week".
    assert "*Mon 16 – Sun 22 Nov* · 2026-Q4" in body
    assert "this week" not in body
    # Key results under their objective, moved in their own unit; the objective says why.
    assert "*O1 · Win the East coast* — " in body
    assert (
        "`K1` Close 20 deals — ▓▓▓░░░░░░░ 30% (+4 deals) · confidence 7/10 ↑ (was 5) · <@U0REP1>"
        in body
    )
    assert "`K2` Book 40 demos — ░░░░░░░░░░ 0% (no change) · never checked in · <@U0REP2>" in body
    assert "pts" not in body.split("*Activity points")[0]
    assert ":red_circle: off track (`K1` is off track)" in body  # K2 is too new to judge
    # Effort over the same days, against the week before.
    assert "*Activity points, Mon 16 – Sun 22 Nov:* 15 (the week before: 7)" in body
    assert "<@U0REP1> 5 (week before 2)" in body
    assert "<@U0REP2> 0 (week before 5)" in body
    assert "*Top movers:* <@U0REP3> +10, <@U0REP1> +3" in body
    assert "*No activity Mon 16 – Sun 22 Nov:* <@U0REP2>" in body
    assert "K1: At your current rate" in body
    assert ":warning: *Needs attention:*" in body
    nudge = [
        e
        for b in digest["blocks"]
        for e in b.get("elements", [])
        if str(e.get("action_id", "")).startswith("nudge_rep")
    ]
    assert [n["text"]["text"] for n in nudge] == ["Nudge Bea Berlin"]
    assert [n["value"].split("|")[0] for n in nudge] == ["U0REP2"]
    uploads = harness.fake.calls_to("upload")
    assert len(uploads) == 1
    assert uploads[0].params["png"] is True
    assert uploads[0].params["size"] > 10_000
    assert (
        harness.fake.calls_to("files.completeUploadExternal")[0].params["channel_id"] == "D0MANAGER"
    )


def test_the_digest_shows_confidence_as_it_stood_at_the_end_of_its_week(
    harness: Harness,
) -> None:
    seed_two_weeks(harness)
    harness.clock.set(utc(23, 12))  # Monday morning, after the week and before the digest
    harness.services.okrs.check_in(
        "T0001", "U0REP1", [CheckinRow(ref="K1", value="6", confidence="2", note="bad news")]
    )
    harness.at(utc(23, 17))
    digest = harness.posts("D0MANAGER")[0].params
    body = texts(digest)
    assert "30% (+4 deals) · confidence 7/10 ↑ (was 5) · <@U0REP1>" in body
    assert "2/10" not in body


def test_a_late_digest_of_a_week_says_how_much_of_the_cycle_was_gone_that_week(
    harness: Harness, db: Engine
) -> None:
    """Built on Friday 27 Nov for the week of Mon 16 – Sun 22 Nov: the cycle's share gone and
    the chart's last point are those of the end of that week, not of Friday."""
    seed_two_weeks(harness)
    harness.clock.set(utc(27, 15))
    with unit_of_work_factory(db)() as uow:
        data = WorkspaceData(uow.repo("T0001"), uow.okrs("T0001"), utc(27, 15), week_of=utc(18, 15))
        team = next(iter(data.teams.values()))
        digest = build_digest(data, team.id, manager="U0MANAGER", channel=None)
    assert digest is not None
    assert digest.chart is not None
    week_end = utc(23, 5)  # Monday 00:00 in New York
    assert digest.expected == pytest.approx(
        (week_end - utc(1, 4, month=10))
        / (utc(1, 5, month=1).replace(year=2027) - utc(1, 4, month=10))
    )
    assert all(moment <= week_end for series in digest.chart.series for moment, _p in series.points)


def test_a_digest_chart_keeps_an_early_check_in_among_many_logs(
    harness: Harness, db: Engine
) -> None:
    """K2 counts demos: a check-in at the start of the cycle, then more logs than a chart has
    points. The chart's line still passes through the check-in's value."""
    harness.clock.set(utc(2, 15))
    harness.services.okrs.check_in(
        "T0001", "U0REP2", [CheckinRow(ref="K2", value="12", confidence="6")]
    )
    for day in range(3, 21):
        for hour in (13, 15, 17, 19):
            harness.clock.set(utc(day, hour))
            harness.services.activities.log_text("T0001", "U0REP1", "demo 1")
    harness.clock.set(utc(21, 12))
    with unit_of_work_factory(db)() as uow:
        data = WorkspaceData(uow.repo("T0001"), uow.okrs("T0001"), harness.clock.now())
        team = next(iter(data.teams.values()))
        chart = build_digest(data, team.id, manager="U0MANAGER", channel=None)
    assert chart is not None
    assert chart.chart is not None
    k2 = next(series for series in chart.chart.series if series.label.startswith("K2"))
    assert len(k2.points) <= CHART_POINTS
    progress = dict(k2.points)
    assert progress[utc(2, 15)] == pytest.approx(12 / 40)  # the check-in is on the line
    assert k2.points[-1][1] == pytest.approx((12 + 72) / 40)
    early = [p for moment, p in k2.points if utc(2, 15) < moment < utc(9, 0)]
    assert early
    assert all(p > 12 / 40 for p in early)


def test_what_each_key_result_needs_is_listed_in_the_order_key_results_are_shown(
    harness: Harness, db: Engine
) -> None:
    """Calls come to feed K2, then K1 as well (so that link is the newest): the digest's
    needs follow the key results' own order, as they are listed above them, not the order
    their links happened to be made in."""
    for feeds in ("[K2]", "[K2, K1]"):
        playbook = OKR_PLAYBOOK.replace("points: 1, feeds: [K1]", f"points: 1, feeds: {feeds}")
        import_playbook(db, harness.clock, playbook)
    seed_two_weeks(harness)
    harness.at(utc(23, 17))
    body = texts(harness.posts("D0MANAGER")[0].params)
    assert re.findall(r":dart: (K\d):", body) == ["K1", "K1", "K2"]


def test_a_manager_east_of_the_workspace_gets_the_whole_of_their_last_week(
    harness: Harness,
) -> None:
    harness.fake.timezones["U0MANAGER"] = "Asia/Tokyo"  # the workspace is in New York
    seed_two_weeks(harness)
    harness.at(utc(23, 0))  # Monday 09:00 in Tokyo, still Sunday evening in New York
    body = texts(harness.posts("D0MANAGER")[0].params)
    assert "*Mon 16 – Sun 22 Nov* · 2026-Q4" in body
    assert "so far" not in body
    assert "*Activity points, Mon 16 – Sun 22 Nov:* 15 (the week before: 7)" in body


def test_the_team_digest_goes_to_the_channel_without_per_person_detail(harness: Harness) -> None:
    seed_two_weeks(harness)
    harness.at(utc(23, 14, 30))  # Monday 09:30 workspace time
    post = harness.posts("C0SALESEAST", "weekly OKR digest")[0].params
    body = texts(post)
    assert "*O1 · Win the East coast*" in body
    assert "`K1` Close 20 deals — ▓▓▓░░░░░░░ 30% (+4 deals) · confidence 7/10" in body
    assert "*Activity points, Mon 16 – Sun 22 Nov:* 15 (the week before: 7)" in body
    assert "this week" not in body
    assert "<@U0REP2>" not in body
    assert "Top movers" not in body


def test_a_stored_infinite_value_breaks_no_digest_and_no_page(harness: Harness, db: Engine) -> None:
    with db.begin() as connection:  # as a check-in of 1e400 once stored it
        connection.execute(
            update(KeyResult).where(KeyResult.ref == "K1").values(current_value=float("inf"))
        )
    report = harness.services.scheduler.run_job(Job.MANAGER_DIGEST)
    assert (report.sent, report.failed) == (1, 0)
    assert "`K1` Close 20 deals" in texts(harness.posts("D0MANAGER")[0].params)
    page = harness.services.okrs.page("T0001", "U0REP1", parse_okr("", harness.clock.now().date()))
    assert page.objectives[0].key_results[0].ref == "K1"
    assert harness.services.okrs.home("T0001", "U0MANAGER").teams


def test_a_digest_that_cannot_be_built_fails_alone(
    harness: Harness, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_playbook(db, harness.clock, TWO_TEAMS_ONE_MANAGER)
    real = content_module.build_digest

    def broken_for_east(data: Any, team_id: int, **kwargs: Any) -> Any:
        if data.teams[team_id].name == "Sales East":
            raise ValueError("cannot build")
        return real(data, team_id, **kwargs)

    monkeypatch.setattr(content_module, "build_digest", broken_for_east)
    report = harness.services.scheduler.run_job(Job.TEAM_DIGEST)
    assert (report.sent, report.failed) == (1, 1)
    assert len(harness.posts("C0SALESWEST")) == 1
    with _uow(harness) as uow:
        failed = [s for s in uow.schedule("T0001").sends() if s.status == "failed"]
    assert [(s.recipient, s.attempts) for s in failed] == [("C0SALESEAST", 1)]
    assert "build: cannot build" in (failed[0].error or "")


# -- leaderboard posts and reactions --------------------------------------------------------------
def test_the_friday_leaderboard_post_and_its_cheers(harness: Harness, db: Engine) -> None:
    harness.clock.set(utc(9, 15))  # the week before: REP1 led
    harness.services.activities.log_text("T0001", "U0REP1", "proposal 2")
    for day in (17, 18, 19, 20):
        harness.clock.set(utc(day, 14))
        harness.services.activities.log_text("T0001", "U0REP3", "proposal 1")
    harness.services.activities.log_text("T0001", "U0REP2", "call 3")
    harness.at(utc(20, 21))  # Friday 16:00 workspace time
    post = harness.posts("C0SALESEAST", "leaderboard")[0].params
    body = texts(post)
    assert ":first_place_medal: <@U0REP3> — *40* pts (activity 40 · results 0)" in body
    assert ":second_place_medal: <@U0REP2> — *3* pts" in body
    assert ":rocket: Biggest climber: <@U0REP3>, unranked → #1" in body
    assert ":fire: Streaks: <@U0REP3> 4 days" in body
    assert "cheer" not in body  # no earlier post to count

    with db.connect() as connection:
        ts = connection.scalar(
            select(ScheduledSend.ts).where(ScheduledSend.job == "leaderboard-post")
        )
    assert ts is not None
    for reactor, emoji in (("U0REP1", "clap"), ("U0REP2", "tada"), ("U0REP1", "clap")):
        harness.services.scheduler.record_reaction(
            "T0001", "C0SALESEAST", ts, reactor, reaction=emoji
        )
    assert not harness.services.scheduler.record_reaction(
        "T0001", "C0OTHER", ts, "U0REP1", reaction="clap"
    )
    harness.at(utc(27, 21))
    assert "Last week's board got 2 cheers" in texts(
        harness.posts("C0SALESEAST", "leaderboard")[1].params
    )


def test_no_one_climbs_by_having_no_points(harness: Harness) -> None:
    harness.clock.set(utc(10, 15))  # the week before: REP1, REP2 and REP3 ranked in that order
    for user, text in (("U0REP1", "proposal 3"), ("U0REP2", "proposal 2"), ("U0REP3", "call 1")):
        harness.services.activities.log_text("T0001", user, text)
    harness.clock.set(utc(17, 15))  # this week only REP1 logs: REP2 and REP3 have nothing
    harness.services.activities.log_text("T0001", "U0REP1", "call 2")
    harness.at(utc(20, 21))
    body = texts(harness.posts("C0SALESEAST", "leaderboard")[0].params)
    assert ":first_place_medal: <@U0REP1> — *2* pts" in body
    assert "Biggest climber" not in body  # REP3 went from #3 to nowhere, not to a shared #2
    assert "<@U0REP3>" not in body
    assert "<@U0REP2>" not in body
    assert "2 teammates with no points yet this week." in body


def test_a_climber_from_no_rank_has_points_and_passed_someone(harness: Harness) -> None:
    harness.clock.set(utc(10, 15))
    for user, text in (("U0REP1", "proposal 3"), ("U0REP2", "proposal 2")):
        harness.services.activities.log_text("T0001", user, text)
    harness.clock.set(utc(17, 15))
    for user, text in (("U0REP3", "proposal 4"), ("U0REP1", "call 2"), ("U0REP2", "call 1")):
        harness.services.activities.log_text("T0001", user, text)
    harness.at(utc(20, 21))
    body = texts(harness.posts("C0SALESEAST", "leaderboard")[0].params)
    assert ":rocket: Biggest climber: <@U0REP3>, unranked → #1" in body


# -- exactly once ----------------------------------------------------------------------------------
def test_a_crash_between_claim_and_send_is_resumed_and_sent_once(harness: Harness) -> None:
    harness.clock.set(utc(20, 21))
    with _uow(harness) as uow:  # a process claimed REP1's nudge and died before sending
        assert uow.schedule("T0001").claim(
            "activity-nudge:T0001:U0REP1:2026-11-20",
            "activity-nudge",
            "U0REP1",
            "2026-11-20",
            now=utc(20, 21),
        )
        uow.commit()
    harness.at(utc(20, 21, 2))
    assert harness.posts("U0REP1", NUDGE_TEXT) == []  # recent claim: its owner may still send
    harness.at(utc(20, 21, 6))
    harness.at(utc(20, 21, 12))
    assert len(harness.posts("U0REP1", NUDGE_TEXT)) == 1


class Crash(BaseException):
    """The sending process dies here (like kill -9: nothing after it runs)."""


@dataclass
class CrashingOutbox:
    """Sends through the real outbox, then dies before okrbot records the send as done;
    or dies before Slack ever sees it."""

    real: SlackOutbox
    after_slack: bool

    def deliver(self, workspace: str, message: Any, key: str) -> Any:
        if self.after_slack:
            self.real.deliver(workspace, message, key)
        raise Crash

    def find(self, workspace: str, message: Any, key: str, since: datetime) -> Any:
        return self.real.find(workspace, message, key, since)


def crashing_services(harness: Harness, db: Engine, *, after_slack: bool) -> Services:
    client = SingleToken("xoxb-test", harness.fake.api_url)
    real = SlackOutbox(
        client,
        scheduled_blocks.render,
        Pacer(now=harness.time.now, sleep=harness.time.sleep),
        sleep=harness.time.sleep,
    )
    return build_services(db, harness.clock, client, CrashingOutbox(real, after_slack))


@pytest.mark.parametrize("after_slack", [True, False])
def test_a_sender_killed_mid_send_leaves_no_duplicate_and_nothing_missing(
    harness: Harness, db: Engine, after_slack: bool
) -> None:
    harness.clock.set(utc(20, 7))  # 16:00 in Tokyo: REP3's nudge is due
    with pytest.raises(Crash):
        crashing_services(harness, db, after_slack=after_slack).scheduler.tick()
    assert len(harness.posts("U0REP3", NUDGE_TEXT)) == (1 if after_slack else 0)
    with _uow(harness) as uow:
        assert uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0].status == "claimed"
    harness.at(utc(20, 7, 6))  # another process resumes the interrupted claim
    harness.at(utc(20, 7, 12))
    posts = harness.posts("U0REP3", NUDGE_TEXT)
    assert len(posts) == 1  # sent once: found in Slack, or sent now
    assert posts[0].params["metadata"]["event_payload"]["key"] == (
        "activity-nudge:T0001:U0REP3:2026-11-20"
    )
    with _uow(harness) as uow:
        send = uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0]
    assert (send.status, send.channel) == ("sent", "D0REP3")
    assert send.attempts == 2  # the interrupted attempt counts
    assert len(harness.fake.calls_to("conversations.history")) == 1


def test_an_answer_lost_after_slack_posted_is_not_posted_again(harness: Harness) -> None:
    harness.fake.lose_answer("chat.postMessage")  # posted, but okrbot hears a 500
    harness.at(utc(20, 7))
    assert len(harness.fake.history["D0REP3"]) == 1
    with _uow(harness) as uow:
        send = uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0]
    assert send.status == "sent"


@dataclass
class DiesWhileLooking:
    """A resuming process that dies while it asks Slack whether the message went out."""

    def deliver(self, workspace: str, message: Any, key: str) -> Any:
        raise AssertionError("never reached")

    def find(self, workspace: str, message: Any, key: str, since: datetime) -> Any:
        raise Crash


def test_a_second_crash_while_recovering_still_sends_once(harness: Harness, db: Engine) -> None:
    harness.clock.set(utc(20, 7))
    with pytest.raises(Crash):
        crashing_services(harness, db, after_slack=True).scheduler.tick()
    for filler in range(250):  # a busy conversation since: the lookup reads every page
        harness.fake.history["D0REP3"].append(
            {"type": "message", "ts": f"{utc(20, 7, 8).timestamp():.0f}.{filler:06d}", "text": "x"}
        )
    client = SingleToken("xoxb-test", harness.fake.api_url)
    dying = build_services(db, harness.clock, client, DiesWhileLooking())
    harness.clock.set(utc(20, 7, 6))
    with pytest.raises(Crash):
        dying.scheduler.tick()
    harness.at(utc(20, 7, 12))  # its claim was taken over at 07:06; the lookup starts at 07:00
    assert len(harness.posts("U0REP3", NUDGE_TEXT)) == 1
    with _uow(harness) as uow:
        assert uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0].status == "sent"


def test_a_sender_that_keeps_dying_gives_up_after_five_attempts(
    harness: Harness, db: Engine
) -> None:
    dying = crashing_services(harness, db, after_slack=False)
    harness.clock.set(utc(20, 7))
    for minutes in range(0, 60, 6):
        harness.clock.set(utc(20, 7, minutes))
        with contextlib.suppress(Crash):
            dying.scheduler.tick()
    with _uow(harness) as uow:
        send = uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0]
    assert (send.status, send.attempts) == ("failed", 5)
    assert "gave up" in (send.error or "")
    assert harness.posts("U0REP3", NUDGE_TEXT) == []


def test_two_schedulers_on_one_database_send_each_message_once(
    harness: Harness, db: Engine, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    other_engine = make_engine(db.url.render_as_string(hide_password=False))
    try:
        other = make_services(other_engine, clock, fake_slack, FakeTime())

        def together(work: Any) -> None:
            barrier = threading.Barrier(2)

            def run(services: Services) -> None:
                barrier.wait()
                work(services)

            threads = [threading.Thread(target=run, args=(s,)) for s in (harness.services, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        clock.set(utc(20, 21))  # New York's nudge and the leaderboard post are due
        together(lambda services: services.scheduler.tick())
        together(lambda services: services.scheduler.run_job(Job.ACTIVITY_NUDGE))
        together(lambda services: services.scheduler.run_job(Job.MANAGER_DIGEST))
    finally:
        other_engine.dispose()
    nudged = [c.params["channel"] for c in harness.posts(text=NUDGE_TEXT)]
    assert sorted(nudged) == ["U0REP1", "U0REP2", "U0REP3"]
    assert len(harness.posts("C0SALESEAST")) == 1
    assert len(harness.posts("D0MANAGER")) == 1


def test_429_and_500_are_survived_with_nothing_lost(harness: Harness) -> None:
    harness.fake.fail_next("chat.postMessage", 429, retry_after=3)
    harness.fake.fail_next("chat.postMessage", 500)
    harness.at(utc(20, 7))  # Tokyo's nudge
    assert len(harness.posts("U0REP3", NUDGE_TEXT)) == 1
    assert 3 in harness.time.waits  # Retry-After honoured (on the injected clock)
    with _uow(harness) as uow:
        send = uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0]
    assert (send.status, send.channel) == ("sent", "D0REP3")


def test_a_send_that_keeps_failing_is_recorded_and_retried_later(harness: Harness) -> None:
    harness.fake.fail_next("chat.postMessage", 503, times=5)
    harness.at(utc(20, 7))
    with _uow(harness) as uow:
        send = uow.schedule("T0001").sends(Job.ACTIVITY_NUDGE.value)[0]
    assert send.status == "failed"
    assert "gave up after 5 attempts: Slack answered 503" in (send.error or "")
    harness.at(utc(20, 7, 6))
    assert len(harness.posts("U0REP3", NUDGE_TEXT)) == 1


def test_jobs_run_sends_now_and_running_it_again_sends_nothing_new(harness: Harness) -> None:
    harness.clock.set(utc(18, 14))  # Wednesday morning
    first = harness.services.scheduler.run_job(Job.ACTIVITY_NUDGE)
    assert first.sent == 3
    again = harness.services.scheduler.run_job(Job.ACTIVITY_NUDGE)
    assert (again.sent, again.already) == (0, 3)
    harness.at(utc(18, 21))  # the regular 16:00 run finds the same keys
    assert len(harness.posts(text=NUDGE_TEXT)) == 3
    team = harness.services.scheduler.run_job(Job.LEADERBOARD_POST, team="sales east")
    assert team.sent == 1


def test_jobs_list_shows_next_runs(harness: Harness) -> None:
    harness.clock.set(utc(18, 14))
    harness.services.scheduler.tick()  # learns everyone's timezone
    infos = {info.job: info for info in harness.services.scheduler.jobs()}
    assert infos[Job.ACTIVITY_NUDGE].next_run == utc(18, 15)  # Berlin's 16:00 comes first
    assert infos[Job.ACTIVITY_NUDGE].recipients == 3
    assert infos[Job.LEADERBOARD_POST].next_run == utc(20, 21)
    assert infos[Job.MANAGER_DIGEST].schedule == "09:00 mon"


def test_every_job_is_declared_once_and_a_new_audience_falls_into_no_other_branch(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(JOBS) == set(Job)
    assert all(spec.job is job for job, spec in JOBS.items())
    infos = {info.job: info for info in harness.services.scheduler.jobs()}
    assert infos[Job.TEAM_DIGEST].basis == "workspace timezone"
    assert infos[Job.MANAGER_DIGEST].basis == "each person's timezone"
    # A job whose audience no branch knows is refused, not sent to team channels.
    stranger = cast(Audience, "a new kind of audience")
    monkeypatch.setitem(JOBS, Job.TEAM_DIGEST, replace(JOBS[Job.TEAM_DIGEST], audience=stranger))
    with pytest.raises(AssertionError):
        harness.services.scheduler.jobs()


def test_a_large_team_is_nudged_without_a_dropped_or_duplicated_dm(
    harness: Harness, db: Engine
) -> None:
    reps = [f"U1{n:05d}" for n in range(200)]
    members = ", ".join(reps)
    playbook = OKR_PLAYBOOK.replace("members: [U0REP1, U0REP2, U0REP3]", f"members: [{members}]")
    import_playbook(db, harness.clock, playbook)
    harness.fake.fail_every("chat.postMessage", 7, 429, retry_after=1)  # Slack limits now and then
    harness.fake.fail_every("users.info", 11, 502)
    harness.clock.set(utc(18, 14))
    report = harness.services.scheduler.run_job(Job.ACTIVITY_NUDGE)
    assert (report.sent, report.failed) == (200, 0)
    nudged = [c.params["channel"] for c in harness.posts(text=NUDGE_TEXT)]
    assert sorted(nudged) == reps
    assert harness.time.waits.count(1) >= 25  # each 429's Retry-After was waited out


def test_a_run_missed_while_down_is_caught_up_once_within_the_grace_window(
    harness: Harness,
) -> None:
    harness.at(utc(20, 12))  # up in the morning, then down over New York's 16:00 (21:00 UTC)
    harness.at(utc(21, 0, 30))  # back 3.5 hours later: still within the 6-hour grace
    harness.at(utc(21, 1, 30))
    assert len(harness.posts("U0REP1", NUDGE_TEXT)) == 1
    harness.at(utc(24, 3, 1))  # Monday's run missed by more than 6 hours: not sent late
    assert len(harness.posts("U0REP1", NUDGE_TEXT)) == 1


def test_network_errors_are_retried_with_backoff_then_reported() -> None:
    from bot.services.schedule.messages import DeliveryError, Nudge

    time_ = FakeTime()
    dead = SingleToken("xoxb-test", "http://127.0.0.1:9/api/")
    outbox = SlackOutbox(
        dead,
        scheduled_blocks.render,
        Pacer(now=time_.now, sleep=time_.sleep),
        sleep=time_.sleep,
        max_attempts=3,
    )
    with pytest.raises(DeliveryError) as error:
        outbox.deliver("T0001", Nudge("U1", 0, []), "k")
    assert error.value.retry
    assert "gave up after 3 attempts: network error" in str(error.value)
    assert time_.waits == [1.0, 2.0]  # exponential backoff between attempts


def test_the_background_tick_works_only_while_holding_the_lock(
    harness: Harness, db: Engine
) -> None:
    from bot.scheduler_runner import SchedulerRunner
    from storage.schedule.leader import LeaderLock

    class Refused:
        def acquire(self) -> bool:
            return False

        def release(self) -> None:
            """Nothing held."""

    harness.clock.set(utc(20, 21))
    SchedulerRunner(harness.services.scheduler, Refused()).tick()  # type: ignore[arg-type]
    assert harness.posts() == []
    lock = LeaderLock(db)
    try:
        SchedulerRunner(harness.services.scheduler, lock).tick()
    finally:
        lock.release()
    assert len(harness.posts("U0REP1", NUDGE_TEXT)) == 1


def test_an_invitation_that_failed_is_sent_again_later(harness: Harness) -> None:
    harness.clock.set(utc(18, 15))
    harness.services.okrs.create_objective(
        "T0001",
        "U0REP3",
        ObjectiveDraft(
            title="Help",
            level="personal",
            key_results=[KRDraft(title="Theirs", kr_type="boolean", owner="U0REP2")],
        ),
    )
    harness.fake.fail_next("chat.postMessage", 503, times=5)
    assert harness.services.scheduler.send_invitations("T0001").failed == 1
    invite = "made you the owner"
    assert harness.posts("U0REP2", invite) == []
    harness.at(utc(18, 15, 3))  # too soon
    assert harness.posts("U0REP2", invite) == []
    harness.at(utc(18, 15, 6))
    assert len(harness.posts("U0REP2", invite)) == 1
    harness.at(utc(18, 15, 12))
    assert len(harness.posts("U0REP2", invite)) == 1


def test_a_manager_of_two_teams_gets_both_digests(harness: Harness, db: Engine) -> None:
    import_playbook(db, harness.clock, TWO_TEAMS_ONE_MANAGER)
    report = harness.services.scheduler.run_job(Job.MANAGER_DIGEST)
    assert (report.sent, report.failed) == (2, 0)  # the second is built from data read earlier
    bodies = [texts(c.params) for c in harness.posts("D0MANAGER")]
    assert any("Sales West · weekly OKR digest" in body for body in bodies)
