"""Points, caps, undo rules, periods and workspace isolation, through the services."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.domain.errors import NotAllowed, NotFound, UserError
from bot.services import Services
from storage.models import LedgerEntry
from tests.conftest import FakeClock
from tests.helpers import PLAYBOOK, import_playbook, row_counts


@pytest.fixture
def team(db: Engine, clock: FakeClock) -> None:
    import_playbook(db, clock)


@pytest.mark.usefixtures("team")
def test_units_over_the_daily_cap_are_recorded_but_earn_nothing(services: Services) -> None:
    first = services.activities.log_text("T0001", "U0REP1", "demo 8")
    assert (first.points, first.units_over_cap) == (40, 0)
    second = services.activities.log_text("T0001", "U0REP1", "demo 4 late ones")
    assert (second.points, second.units_over_cap, second.daily_cap) == (10, 2, 10)
    assert second.today_points == 50


@pytest.mark.usefixtures("team")
def test_the_cap_resets_at_local_midnight(services: Services, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 19, 4, 30, tzinfo=UTC))  # 23:30 on the 18th in New York
    services.activities.log_text("T0001", "U0REP1", "demo 10")
    clock.set(datetime(2026, 11, 19, 5, 30, tzinfo=UTC))  # 00:30 on the 19th
    assert services.activities.log_text("T0001", "U0REP1", "demo 1").points == 5


@pytest.mark.usefixtures("team")
def test_undoing_a_capped_entry_frees_the_cap(services: Services) -> None:
    first = services.activities.log_text("T0001", "U0REP1", "demo 10")
    services.activities.undo("T0001", "U0REP1", first.log_id)
    assert services.activities.log_text("T0001", "U0REP1", "demo 2").points == 10


@pytest.mark.usefixtures("team")
def test_catalog_changes_do_not_rewrite_history(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    services.activities.log_text("T0001", "U0REP1", "call 5")
    import_playbook(
        db,
        clock,
        PLAYBOOK.replace(
            "{key: call, name: Call, points: 1}", "{key: call, name: Call, points: 3}"
        ),
    )
    services.activities.log_text("T0001", "U0REP1", "call 1")
    assert services.standings.points("T0001", "U0REP1").week.activity == 8


@pytest.mark.usefixtures("team")
def test_points_split_week_and_quarter_and_count_the_streak(
    services: Services, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 10, 15, tzinfo=UTC))  # Tuesday of the previous week
    services.activities.log_text("T0001", "U0REP1", "proposal")
    for day in (16, 17, 18):  # Monday to Wednesday this week
        clock.set(datetime(2026, 11, day, 15, tzinfo=UTC))
        services.activities.log_text("T0001", "U0REP1", "call 2")
    summary = services.standings.points("T0001", "U0REP1")
    assert (summary.week.activity, summary.week.result, summary.week.total) == (6, 0, 6)
    assert summary.quarter.total == 16
    assert summary.quarter.period.label == "2026-Q4"
    assert summary.streak == 3


@pytest.mark.usefixtures("team")
def test_only_the_author_can_undo_and_only_within_24_hours(
    services: Services, clock: FakeClock, db: Engine
) -> None:
    entry = services.activities.log_text("T0001", "U0REP1", "call 3")
    before = row_counts(db)
    with pytest.raises(NotAllowed, match="Only <@U0REP1>, who logged it, can undo"):
        services.activities.undo("T0001", "U0REP2", entry.log_id)
    clock.advance(hours=24, minutes=1)
    with pytest.raises(NotAllowed, match="24 hours"):
        services.activities.undo("T0001", "U0REP1", entry.log_id)
    assert row_counts(db) == before
    assert services.standings.points("T0001", "U0REP1").week.activity == 3


@pytest.mark.usefixtures("team")
def test_an_undo_across_a_week_boundary_takes_points_from_the_week_they_were_earned(
    services: Services, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 11, 23, 3, tzinfo=UTC))  # Sunday 22:00 in New York
    entry = services.activities.log_text("T0001", "U0REP1", "call 4")
    clock.set(datetime(2026, 11, 23, 14, tzinfo=UTC))  # Monday morning
    services.activities.undo("T0001", "U0REP1", entry.log_id)
    assert services.standings.points("T0001", "U0REP1").week.total == 0  # not -4


@pytest.mark.usefixtures("team")
def test_concurrent_undos_reverse_once(services: Services, db: Engine) -> None:
    entry = services.activities.log_text("T0001", "U0REP1", "proposal 2")
    results = []
    start = threading.Barrier(4)

    def undo() -> None:
        start.wait()
        results.append(services.activities.undo("T0001", "U0REP1", entry.log_id))

    workers = [threading.Thread(target=undo) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(r.already_undone for r in results) == [False, True, True, True]
    with db.connect() as connection:
        assert connection.scalar(select(func.sum(LedgerEntry.points))) == 0


@pytest.mark.usefixtures("team")
def test_a_repeated_request_logs_once(services: Services, db: Engine) -> None:
    first = services.activities.log_text("T0001", "U0REP1", "call 2", request_key="trigger-1")
    again = services.activities.log_text("T0001", "U0REP1", "call 2", request_key="trigger-1")
    assert again.log_id == first.log_id
    assert services.standings.points("T0001", "U0REP1").week.total == 2


def test_a_new_workspace_gets_the_starter_catalog(services: Services) -> None:
    catalog = services.activities.catalog("TNEW", "U1")
    assert [entry.key for entry in catalog] == ["call", "email", "meeting", "demo", "proposal"]
    assert services.activities.log_text("TNEW", "U1", "meeting 2").points == 6


@pytest.mark.usefixtures("team")
def test_members_outside_any_team_log_and_appear_on_the_workspace_board(services: Services) -> None:
    services.activities.log_text("T0001", "U0LONER", "call 2")
    board = services.standings.leaderboard("T0001", "U0LONER", "")
    assert board.team is None
    assert board.caller_without_team
    assert board.me is not None
    assert board.me.points == 2
    team_board = services.standings.leaderboard("T0001", "U0REP1", "")
    assert "U0LONER" not in [row.user_id for row in team_board.top]
    everyone = services.standings.leaderboard("T0001", "U0REP1", "all")
    assert "U0LONER" in [row.user_id for row in everyone.top]


@pytest.mark.usefixtures("team")
def test_one_workspace_cannot_see_or_change_another(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, PLAYBOOK.replace("T0001", "T0002"))
    mine = services.activities.log_text("T0001", "U0REP1", "proposal 3")
    services.activities.log_text("T0002", "U0REP1", "call 1")

    assert services.standings.points("T0001", "U0REP1").week.total == 30
    assert services.standings.points("T0002", "U0REP1").week.total == 1
    other_board = services.standings.leaderboard("T0002", "U0REP2", "all")
    assert [(row.user_id, row.points) for row in other_board.top if row.points] == [("U0REP1", 1)]

    before = row_counts(db)
    with pytest.raises(NotFound):
        services.activities.undo("T0002", "U0REP1", mine.log_id)
    assert row_counts(db) == before
    assert services.standings.points("T0001", "U0REP1").week.total == 30


@pytest.mark.usefixtures("team")
def test_bad_log_text_stores_nothing_even_for_a_first_time_member(
    services: Services, db: Engine
) -> None:
    before = row_counts(db)
    for text in (
        "clal 2",
        "call 0",
        "call -1",
        "call 2.5",
        "call 1001",
        "call 3x",
        "call 1 " + "n" * 501,
    ):
        with pytest.raises(UserError):
            services.activities.log_text("T0001", "U0NEWBIE", text)
    assert row_counts(db) == before


def test_a_new_process_asks_slack_only_about_people_the_database_does_not_know(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """A restart, or another worker process, starts with nothing remembered: a member already
    stored logs without waiting on Slack; a new one is still asked about (for their
    timezone) before the transaction, once."""
    from dataclasses import replace

    from bot.services.activities.service import ActivityService
    from bot.services.context import Profile

    import_playbook(db, clock)
    asked: list[str] = []
    remembered: dict[str, Profile] = {}

    def profiles(_workspace: str, user: str) -> Profile:  # remembers, as SlackProfiles does
        if user not in remembered:
            asked.append(user)
            remembered[user] = Profile(timezone="Europe/Berlin")
        return remembered[user]

    fresh = replace(services.activities.ctx, profiles=profiles, known=set(), configs={})
    activities = ActivityService(fresh)
    for user in ("U0REP1", "U0NEWBIE", "U0REP1", "U0NEWBIE"):
        assert activities.log_text("T0001", user, "call").points == 1
    assert asked == ["U0NEWBIE"]
    with services.activities.ctx.uow() as uow:
        newbie = uow.repo("T0001").member("U0NEWBIE")
        assert newbie is not None
        assert newbie.timezone == "Europe/Berlin"
