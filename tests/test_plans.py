"""On PostgreSQL, a board asked again and again on one connection keeps plans made for its
own values: psycopg prepares statements after five runs, and a generic plan would ignore
the period and the team it is asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.domain.periods import PeriodKind, period_containing
from bot.services.activities.standings import Scope, build_board
from storage.db import make_engine, unit_of_work_factory
from storage.single_statement import single_statement_engine
from tests.conftest import FakeClock
from tests.helpers import PLAYBOOK, import_playbook


def test_a_quarter_board_asked_twenty_times_on_one_connection_is_never_generic(
    db: Engine, clock: FakeClock
) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("prepared statements and their plans are PostgreSQL's")
    import_playbook(db, clock, PLAYBOOK)
    one = make_engine(db.url.render_as_string(False), pool_size=1, max_overflow=0)
    try:
        build_services(one, clock).activities.log_text("T0001", "U0REP1", "demo 2")
        with unit_of_work_factory(one)() as uow:  # one connection, one transaction
            repo = uow.repo("T0001")
            period = period_containing(PeriodKind.QUARTER, clock.now(), repo.timezone())
            team = repo.teams()[0]
            scope = Scope(team.name, repo.team_member_ids(team.id))
            boards = [build_board(repo, period, scope, "") for _ in range(20)]
            mode = uow.session.scalar(text("SHOW plan_cache_mode"))
            plans = uow.session.execute(
                text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
            ).all()
    finally:
        one.dispose()
    assert {tuple((r.user_id, r.points) for r in b.top) for b in boards} == {
        (("U0REP1", 10), ("U0REP2", 0), ("U0REP3", 0))
    }
    assert mode == "force_custom_plan"
    assert plans, "psycopg prepared the board's statement after its fifth run"
    assert [p.statement[:80] for p in plans if p.generic_plans] == []
    assert all(p.custom_plans >= 14 for p in plans)  # each run planned for its own values


def test_a_log_lets_its_own_transaction_keep_generic_plans_and_no_other(
    db: Engine, clock: FakeClock
) -> None:
    """/log's statements have one shape: once the member is locked, its transaction may use
    generic plans (no replanning on every run); the next transaction plans for its values."""
    if db.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    import_playbook(db, clock, PLAYBOOK)
    build_services(db, clock).activities.log_text("T0001", "U0REP1", "call")
    with unit_of_work_factory(db)() as uow:
        before = uow.session.scalar(text("SHOW plan_cache_mode"))
        assert uow.repo("T0001").lock_member("U0REP1") is not None
        during = uow.session.scalar(text("SHOW plan_cache_mode"))
        uow.commit()
    with unit_of_work_factory(db)() as uow:
        after = uow.session.scalar(text("SHOW plan_cache_mode"))
    assert (before, during, after) == ("force_custom_plan", "auto", "force_custom_plan")


def test_a_whole_log_statement_keeps_a_generic_plan_on_connections_of_its_own(
    db: Engine, clock: FakeClock
) -> None:
    """The one-statement /log runs on a pool of its own, in autocommit, where PostgreSQL may
    keep a generic plan for it; the engine's own connections still plan every statement for
    its values, and disposing the engine closes both pools."""
    if db.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    import_playbook(db, clock, PLAYBOOK)
    one = make_engine(db.url.render_as_string(False), pool_size=1, max_overflow=0)
    try:
        services = build_services(one, clock)
        replies = [services.activities.log_text("T0001", "U0REP1", "call") for _ in range(12)]
        single = single_statement_engine(one)
        assert single is not None
        with single.connect() as connection:
            mode = connection.scalar(text("SHOW plan_cache_mode"))
            plans = connection.execute(
                text("SELECT statement, generic_plans FROM pg_prepared_statements")
            ).all()
        with one.connect() as connection:
            own_mode = connection.scalar(text("SHOW plan_cache_mode"))
    finally:
        one.dispose()
    assert [reply.today_points for reply in replies] == list(range(1, 13))
    assert (mode, own_mode) == ("auto", "force_custom_plan")
    whole_log = [p for p in plans if "INSERT INTO activity_logs" in p.statement]
    assert whole_log, "psycopg prepared the whole-/log statement after its fifth run"
    assert whole_log[0].generic_plans > 0
    assert single.pool.checkedin() == 0
