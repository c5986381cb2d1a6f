"""The planner queues due sends; senders in any number of processes claim and send them,
each exactly once, each workspace's first sends before anyone's later ones."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.domain.schedule import Job
from bot.pacing import Pacer
from bot.playbook import parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.services import Services
from tests.conftest import FakeClock
from tests.test_scheduler import FakeTime, make_services

MONDAY_4PM_NEW_YORK = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)


def playbook(workspace: str, reps: int) -> str:
    members = ", ".join(f"U{workspace[1:]}R{n:03d}" for n in range(reps))
    return (
        f"workspace: {workspace}\n"
        "timezone: America/New_York\n"
        "teams:\n"
        f"  - {{name: Sales, channel: C{workspace[1:]}SALES, members: [{members}]}}\n"
    )


def setup(services: Services, sizes: dict[str, int]) -> None:
    for workspace, reps in sizes.items():
        services.setup.import_playbook(parse_playbook(playbook(workspace, reps)))


def sent_keys(fake: FakeSlack) -> Counter[str]:
    return Counter(
        call.params["metadata"]["event_payload"]["key"]
        for call in fake.calls_to("chat.postMessage")
    )


def statuses(db: Engine) -> Counter[str]:
    with db.connect() as connection:
        rows = connection.execute(text("SELECT status FROM scheduled_sends"))
        return Counter(row[0] for row in rows)


def test_the_planner_queues_and_a_tick_sends_them_all(
    db: Engine, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    services = make_services(db, clock, fake_slack, FakeTime())
    setup(services, {"T0A": 3, "T0B": 2})
    clock.set(MONDAY_4PM_NEW_YORK)
    planned = services.scheduler.plan_due()
    assert statuses(db) == {"pending": 5}
    assert planned.sent == 0
    assert not fake_slack.calls_to("chat.postMessage")
    report = services.scheduler.send_planned()
    assert report.sent == 5
    assert statuses(db) == {"sent": 5}
    assert set(sent_keys(fake_slack).values()) == {1}
    assert services.scheduler.tick().sent == 0  # planned once: nothing new


def test_a_busy_workspace_does_not_hold_up_a_quiet_one(
    db: Engine, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    services = make_services(db, clock, fake_slack, FakeTime())
    setup(services, {"T0BUSY": 40, "T0QUIET": 1})
    clock.set(MONDAY_4PM_NEW_YORK)
    services.scheduler.plan_due()
    services.scheduler.send_planned(batch=5)
    order = [key.split(":")[1] for key in sent_keys(fake_slack)]
    assert len(order) == 41
    assert order.index("T0QUIET") < 5  # in the first batch, not after the busy one's 40


def test_pacing_is_per_workspace() -> None:
    time_ = FakeTime()
    pacer = Pacer(now=time_.now, sleep=time_.sleep, per_channel=1.0, per_second=2.0)
    assert pacer.wait("T0A", "D1") == 0.0
    assert pacer.wait("T0B", "D2") == 0.0  # another workspace goes at once
    assert pacer.wait("T0A", "D3") == pytest.approx(0.5)  # the same one waits its turn
    assert pacer.wait("T0A", "D3") == pytest.approx(1.0)  # and one channel, a second


def test_senders_in_parallel_send_each_planned_message_exactly_once(
    db: Engine, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("several senders need PostgreSQL")
    planner = make_services(db, clock, fake_slack, FakeTime())
    setup(planner, {"T0A": 60, "T0B": 60, "T0C": 60})
    clock.set(MONDAY_4PM_NEW_YORK)
    planner.scheduler.plan_due()
    assert statuses(db) == {"pending": 180}
    senders = [make_services(db, clock, fake_slack, FakeTime()) for _ in range(4)]
    start = threading.Barrier(len(senders))
    reports = []

    def run(services: Services) -> None:
        start.wait()
        reports.append(services.scheduler.send_planned(batch=7))

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    keys = sent_keys(fake_slack)
    assert len(keys) == 180
    assert set(keys.values()) == {1}  # no duplicates
    assert sum(r.sent for r in reports) == 180
    assert sum(1 for r in reports if r.sent) > 1  # the work was shared
    assert statuses(db) == {"sent": 180}
    assert all(key.startswith(f"{Job.ACTIVITY_NUDGE.value}:") for key in keys)


def test_a_send_planned_too_long_ago_is_skipped_not_sent_late(
    db: Engine, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    services = make_services(db, clock, fake_slack, FakeTime())
    setup(services, {"T0A": 2})
    clock.set(MONDAY_4PM_NEW_YORK)
    services.scheduler.plan_due()
    clock.advance(hours=7)  # no sender ran: beyond the 6-hour grace window
    assert services.scheduler.send_planned().sent == 0
    assert not fake_slack.calls_to("chat.postMessage")
    assert statuses(db) == {"skipped": 2}


def test_a_claim_taken_over_by_another_process_is_not_sent_again(
    db: Engine, clock: FakeClock, fake_slack: FakeSlack
) -> None:
    services = make_services(db, clock, fake_slack, FakeTime())
    setup(services, {"T0A": 1})
    clock.set(MONDAY_4PM_NEW_YORK)
    services.scheduler.plan_due()
    uow_factory = services.setup.ctx.uow
    with uow_factory() as uow:
        [send] = uow.claim_planned(clock.now(), 10, clock.now() - timedelta(hours=6))
        uow.commit()
    clock.advance(minutes=10)  # this sender stalled; another resumes the claim
    with uow_factory() as uow:
        assert uow.schedule("T0A").take_over(send.key, send.claimed_at, clock.now())
        uow.commit()
    with uow_factory() as uow:  # the stalled sender wakes up: the claim is no longer its own
        assert not uow.schedule("T0A").renew(send.key, send.claimed_at, clock.now())
