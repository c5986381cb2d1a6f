"""The sandbox's demo workspace: its figures agree with what was logged, and it is alive on
the day it is loaded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.domain.kr_types import kind_of
from bot.sandbox.demo import WORKSPACE, load_demo
from bot.services.schedule.workspace_data import WorkspaceData
from storage.db import unit_of_work_factory
from storage.models import ActivityLink, ActivityLog, ActivityType, CheckIn, KeyResult
from tests.conftest import FakeClock

MONDAY_MORNING = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # 09:00 in New York


@pytest.fixture
def demo(db: Engine, clock: FakeClock) -> Engine:
    clock.set(MONDAY_MORNING)
    load_demo(db, clock)
    return db


def test_a_counted_key_result_is_its_start_plus_the_units_logged(demo: Engine) -> None:
    """Invariant: a `counts:` key result equals its start plus the units of its activity
    logged and not undone, plus any correction a check-in made (the demo's check-ins confirm
    the count, so they correct nothing)."""
    with unit_of_work_factory(demo)() as uow:
        counted = uow.session.execute(
            select(KeyResult, ActivityLink.activity_type_id)
            .join(ActivityLink, ActivityLink.key_result_id == KeyResult.id)
            .where(KeyResult.workspace_id == WORKSPACE, ActivityLink.role == "counts")
        ).all()
        assert [kr.ref for kr, _activity in counted] == ["K2"]
        for kr, activity in counted:
            logged = uow.session.scalar(
                select(func.coalesce(func.sum(ActivityLog.quantity), 0)).where(
                    ActivityLog.workspace_id == WORKSPACE,
                    ActivityLog.activity_type_id == activity,
                    ActivityLog.undone_at.is_(None),
                )
            )
            assert logged > 100
            assert kr.current_value == (kr.start_value or 0) + logged


def test_every_figure_over_time_passes_through_the_check_ins_and_ends_at_today(
    demo: Engine, clock: FakeClock
) -> None:
    """The digest's and chart's value of a key result at any moment agrees with the check-in
    made then, and today's with the key result's stored value."""
    with unit_of_work_factory(demo)() as uow:
        data = WorkspaceData(uow.repo(WORKSPACE), uow.okrs(WORKSPACE), clock.now())
        checkins = uow.session.scalars(select(CheckIn)).all()
        assert len(checkins) >= 25
        by_id = {kr.id: kr for kr in data.key_results}
        for checkin in checkins:
            kr = by_id[checkin.key_result_id]
            assert data.value_at(kr, checkin.created_at) == checkin.value, kr.ref
        for kr in data.key_results:
            if kind_of(kr.kr_type).numeric:
                stored = kr.current_value if kr.current_value is not None else kr.start_value
                assert data.value_at(kr, clock.now()) == stored, kr.ref


def test_the_demo_is_busy_this_week_whatever_day_it_is_loaded(
    demo: Engine, clock: FakeClock
) -> None:
    """Loaded on a Monday morning, the week's board has points and last week's too."""
    services = build_services(demo, clock)
    this_week = services.standings.leaderboard(WORKSPACE, "U0ANN", "")
    last_week = services.standings.leaderboard(WORKSPACE, "U0ANN", "last week")
    assert any(row.points > 0 for row in this_week.top)
    assert sum(row.points for row in last_week.top) > sum(row.points for row in this_week.top)
    assert last_week.period.end == this_week.period.start
    assert last_week.period.label == "Mon 30 Nov – Sun 6 Dec"
    with demo.connect() as connection:
        latest = connection.scalar(select(func.max(ActivityLog.logged_at)))
        first = connection.scalar(select(func.min(ActivityLog.logged_at)))
        kinds = connection.scalar(select(func.count()).select_from(ActivityType))
    assert latest is not None
    assert first is not None
    assert kinds
    assert latest.replace(tzinfo=UTC) <= MONDAY_MORNING
    assert first.replace(tzinfo=UTC) < datetime(2026, 10, 27, tzinfo=UTC)  # six weeks before
