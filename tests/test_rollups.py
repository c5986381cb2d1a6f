"""Daily rollups always agree with the ledger: after logs, undos, check-ins, new days, a new
timezone, concurrent writers, and a rebuild."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import event, func, select, text, update
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.cli import main
from bot.domain.errors import UserError
from bot.playbook import parse_playbook
from bot.services import Services
from bot.services.okrs.checkins import CheckinRow
from storage.activities.rollups import split_into_months
from storage.db import unit_of_work_factory
from storage.migrate import alembic_config, pending_revisions, upgrade
from storage.models import (
    ActivityLog,
    ActivityType,
    DailyPoints,
    LedgerEntry,
    Member,
    MonthlyPoints,
    Workspace,
)
from storage.single_statement import single_statement_engine
from tests.conftest import START, FakeClock, wipe
from tests.helpers import OKR_PLAYBOOK, PLAYBOOK, import_playbook

Days = dict[tuple[str, date], tuple[int, int, int]]
Months = dict[tuple[str, date], tuple[int, int]]
REPS = ["U0REP1", "U0REP2", "U0REP3", "U0LONER"]
T = TypeVar("T")


def from_ledger(db: Engine, workspace: str = "T0001") -> Days:
    """What the rollups should hold, recomputed from the ledger and the activity log."""
    with db.connect() as connection:
        tz = ZoneInfo(
            connection.scalar(select(Workspace.timezone).where(Workspace.id == workspace))
        )
        totals: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
        ledger = select(LedgerEntry.user_id, LedgerEntry.occurred_at, LedgerEntry.category)
        for user, occurred, category, points in connection.execute(
            ledger.add_columns(LedgerEntry.points).where(LedgerEntry.workspace_id == workspace)
        ):
            totals[(user, occurred.astimezone(tz).date())][category != "activity"] += points
        logs = select(ActivityLog.user_id, ActivityLog.logged_at).where(
            ActivityLog.workspace_id == workspace, ActivityLog.undone_at.is_(None)
        )
        for user, logged in connection.execute(logs):
            totals[(user, logged.astimezone(tz).date())][2] += 1
    return {key: (a, r, n) for key, (a, r, n) in totals.items() if (a, r, n) != (0, 0, 0)}


def by_month(days: Days) -> Months:
    """The monthly rollups that `days` (rollups or from_ledger) add up to."""
    totals: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for (user, day), (activity, result, _logs) in days.items():
        month = totals[(user, day.replace(day=1))]
        month[0] += activity
        month[1] += result
    return {key: (a, r) for key, (a, r) in totals.items() if (a, r) != (0, 0)}


def monthly_rollups(db: Engine, workspace: str = "T0001") -> Months:
    with db.connect() as connection:
        rows = connection.execute(
            select(
                MonthlyPoints.user_id,
                MonthlyPoints.month,
                MonthlyPoints.activity_points,
                MonthlyPoints.result_points,
            ).where(MonthlyPoints.workspace_id == workspace)
        )
        return {(u, m): (a, r) for u, m, a, r in rows if (a, r) != (0, 0)}


def rollups(db: Engine, workspace: str = "T0001") -> Days:
    with db.connect() as connection:
        rows = connection.execute(
            select(
                DailyPoints.user_id,
                DailyPoints.day,
                DailyPoints.activity_points,
                DailyPoints.result_points,
                DailyPoints.activities,
            ).where(DailyPoints.workspace_id == workspace)
        )
        return {(u, d): (a, r, n) for u, d, a, r, n in rows if (a, r, n) != (0, 0, 0)}


class RollupsMatchTheLedger(RuleBasedStateMachine):
    """Random sequences of what reps and admins do; the rollups must match the ledger after
    every step, and every board read from them must match one read from the ledger."""

    db: Engine
    clock: FakeClock
    services: Services

    @initialize()
    def start(self) -> None:
        wipe(self.db)
        self.clock.set(START)
        self.services.setup.import_playbook(parse_playbook(OKR_PLAYBOOK))
        self.logs: list[tuple[str, int]] = []
        self.zone = "America/New_York"

    @rule(
        user=st.sampled_from(REPS),
        activity=st.sampled_from(["call", "demo", "proposal"]),
        quantity=st.integers(1, 12),
    )
    def log(self, user: str, activity: str, quantity: int) -> None:
        result = self.services.activities.log_text("T0001", user, f"{activity} {quantity}")
        self.logs.append((user, result.log_id))

    @rule(pick=st.integers(0, 1000))
    def undo(self, pick: int) -> None:
        if self.logs:
            user, log_id = self.logs[pick % len(self.logs)]
            with contextlib.suppress(UserError):  # older than 24 hours: refused, nothing changes
                self.services.activities.undo("T0001", user, log_id)

    @rule(value=st.integers(0, 25))
    def check_in(self, value: int) -> None:
        self.services.okrs.check_in(
            "T0001", "U0REP1", [CheckinRow(ref="K1", value=str(value), confidence="7", note="")]
        )

    @rule(hours=st.integers(1, 60) | st.integers(7 * 24, 24 * 24))  # days, or weeks
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @rule(zone=st.sampled_from(["America/New_York", "Asia/Kolkata", "Pacific/Auckland"]))
    def move_the_workspace(self, zone: str) -> None:
        playbook = OKR_PLAYBOOK.replace("timezone: America/New_York", f"timezone: {zone}")
        self.services.setup.import_playbook(parse_playbook(playbook))
        self.zone = zone

    @invariant()
    def rollups_agree_with_the_ledger(self) -> None:
        expected = from_ledger(self.db)
        assert rollups(self.db) == expected
        assert monthly_rollups(self.db) == by_month(expected)

    @invariant()
    def streak_days_agree_with_the_activity_log(self) -> None:
        """The days streaks are counted from, folded into one number a member by the
        database, are exactly the days with a log not undone, from the window's first day."""
        today = self.clock.now().astimezone(ZoneInfo(self.zone)).date()
        since = today - timedelta(days=2)
        expected: dict[str, list[date]] = defaultdict(list)
        for (user, day), (_a, _r, logs) in sorted(from_ledger(self.db).items()):
            if logs and day >= since:
                expected[user].append(day)
        with self.services.activities.ctx.uow() as uow:
            found = dict(uow.repo("T0001").active_days_by_member(since))
        assert found == expected

    @invariant()
    def boards_agree_with_the_ledger(self) -> None:
        """This week's, this quarter's, and the last 45 days' (whole months and days
        around them) boards, read from the rollups, are the ledger's sums."""
        today = self.clock.now().astimezone(ZoneInfo(self.zone)).date()
        monday = today - timedelta(days=today.weekday())
        quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        second = START.astimezone(ZoneInfo(self.zone)).date() + timedelta(days=1)
        for first, after in (
            (monday, monday + timedelta(days=7)),
            (quarter, (quarter + timedelta(days=92)).replace(day=1)),
            (today - timedelta(days=45), today + timedelta(days=1)),
            (second, max(today, second + timedelta(days=1))),  # edges on days with logs
        ):
            self.board_agrees_with_the_ledger(first, after)

    def board_agrees_with_the_ledger(self, first: date, after: date) -> None:
        assert_board_matches_the_ledger(self.services, self.db, self.zone, first, after)


def assert_board_matches_the_ledger(
    services: Services, db: Engine, zone: str, first: date, after: date
) -> None:
    """The board of the days `first` up to `after`, read from the rollups, is the ledger's."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(after, datetime.min.time(), tz)
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with db.connect() as connection:
        for user, category, points in connection.execute(
            select(LedgerEntry.user_id, LedgerEntry.category, LedgerEntry.points).where(
                LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end
            )
        ):
            expected[user][category != "activity"] += points
    with services.activities.ctx.uow() as uow:
        repo = uow.repo("T0001")
        assert repo.whole_days(start, end) is not None  # so the rollups are what is read
        board = repo.points_by_member(start, end)
    nonzero = {user: tuple(points) for user, points in expected.items() if any(points)}
    assert {user: p for user, p in board.items() if any(p)} == nonzero


def test_boards_across_month_edges_count_every_day_once(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """Logs on the last and first days of months; boards over whole months, parts of months
    and both (read from monthly rollups and the days around them) each count every log once."""
    import_playbook(db, clock)
    zone = ZoneInfo("America/New_York")
    moments = [(9, 30, 23), (10, 1, 0), (11, 30, 23), (12, 1, 0), (12, 31, 23), (1, 1, 0)]
    for month, day, hour in moments:
        year = 2027 if month == 1 else 2026
        clock.set(datetime(year, month, day, hour, 30, tzinfo=zone))
        services.activities.log_text("T0001", "U0REP1", "call")
        services.activities.log_text("T0001", "U0REP2", "demo")
    edges = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 2), date(2026, 11, 30)]
    edges += [date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    for first in edges:
        for after in edges:
            if after > first:
                assert_board_matches_the_ledger(services, db, "America/New_York", first, after)
    clock.set(datetime(2026, 12, 31, 23, 45, tzinfo=zone))
    quarter = services.standings.board("T0001", "quarter Sales East")
    assert quarter.period.start == datetime(2026, 10, 1, tzinfo=zone)
    assert {row.user_id: row.points for row in quarter.top} == {
        "U0REP1": 4,
        "U0REP2": 20,
        "U0REP3": 0,
    }


@given(first=st.dates(date(2024, 1, 1), date(2027, 12, 31)), length=st.integers(0, 800))
def test_a_span_of_days_splits_into_whole_months_and_the_days_around_them(
    first: date, length: int
) -> None:
    last = first + timedelta(days=length)
    days, months = split_into_months(first, last)
    covered = [
        start + timedelta(days=n) for start, end in days for n in range((end - start).days + 1)
    ]
    if months is not None:
        month = months[0]
        while month <= months[1]:
            after = (month + timedelta(days=31)).replace(day=1)
            covered += [month + timedelta(days=n) for n in range((after - month).days)]
            month = after
    assert sorted(covered) == [first + timedelta(days=n) for n in range(length + 1)]
    assert len(days) <= 2, "at most the days before the first whole month and after the last"
    if length >= 62:  # two months and more hold at least one whole month
        assert months is not None


def test_rollups_always_agree_with_the_ledger(
    db: Engine, clock: FakeClock, services: Services
) -> None:
    machine = type("OnThisDatabase", (RollupsMatchTheLedger,), {})
    machine.db, machine.clock, machine.services = db, clock, services
    budget = settings(
        max_examples=12,
        stateful_step_count=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    run_state_machine_as_test(machine, settings=budget)


@pytest.mark.parametrize("activity", ["demo", "call"])
def test_concurrent_logs_and_undos_keep_rollups_and_ledger_equal(
    db: Engine, services: Services, clock: FakeClock, activity: str
) -> None:
    """Two threads per member log and undo at once: a capped activity (demo) is stored in a
    transaction, an uncapped one (call) by one statement on PostgreSQL; either way every log
    is stored once, with its ledger line and rollups."""
    import_playbook(db, clock)
    barrier = threading.Barrier(6)
    errors: list[Exception] = []

    def rep(user: str) -> None:
        barrier.wait()
        try:
            for n in range(8):
                entry = services.activities.log_text("T0001", user, f"{activity} {n % 3 + 1}")
                if n % 3 == 0:
                    services.activities.undo("T0001", user, entry.log_id)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=rep, args=(f"U0REP{n % 3 + 1}",)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with db.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ActivityLog)) == 48
    assert rollups(db) == from_ledger(db)
    week = services.standings.points("T0001", "U0REP1").week
    assert week.activity == sum(
        a for (u, _d), (a, _r, _n) in from_ledger(db).items() if u == "U0REP1"
    )


def test_the_log_reply_ranks_the_member_in_their_own_team(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    services.activities.log_text("T0001", "U0REP1", "proposal 2")  # 20 points
    services.activities.log_text("T0001", "U0REP2", "demo 1")  # 5
    services.activities.log_text("T0001", "U0OUTSIDER", "proposal 9")  # no team
    clock.advance(days=-7)
    services.activities.log_text("T0001", "U0REP3", "proposal 5")  # last week: not counted
    clock.advance(days=7)
    reply = services.activities.log_text("T0001", "U0REP3", "call 5")
    assert (reply.today_points, reply.week_points) == (5, 5)
    assert reply.rank is not None
    assert (reply.rank.team, reply.rank.rank, reply.rank.size) == ("Sales East", 2, 3)
    tied = services.activities.log_text("T0001", "U0REP2", "call")  # 6 points: 2nd
    assert tied.rank is not None
    assert tied.rank.rank == 2
    outsider = services.activities.log_text("T0001", "U0OUTSIDER", "call")
    assert outsider.rank is not None
    assert (outsider.rank.team, outsider.rank.rank) == (None, 1)  # ranked in the workspace
    loner = services.activities.log_text("T0001", "U0LONER", "call")  # 1 point, no team
    with db.connect() as connection:
        members = connection.scalar(select(func.count()).where(Member.workspace_id == "T0001"))
    assert loner.rank is not None  # below the outsider and the team's three, tied with none
    # Of the workspace's members, only those with points this week are ranked (the manager
    # has none yet): the size says how many are ranked, as boards do.
    assert (loner.rank.team, loner.rank.rank, loner.rank.size) == (None, 5, 5)
    assert members == 6
    manager = services.activities.log_text("T0001", "U0MANAGER", "call")
    assert manager.rank is None  # managers are not on their team's board
    assert manager.week_points == 1


def test_a_restored_database_is_never_read_through_a_stale_catalog(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    assert services.activities.log_text("T0001", "U0REP1", "call").points == 1
    wipe(db)  # the database is restored from elsewhere while the process keeps running
    import_playbook(
        db,
        clock,
        PLAYBOOK.replace(
            "{key: call, name: Call, points: 1}", "{key: call, name: Ring, points: 7}"
        ),
    )
    again = services.activities.log_text("T0001", "U0REP1", "call")
    assert (again.activity, again.points) == ("Ring", 7)


def test_a_log_after_another_process_changed_the_setup_is_scored_by_the_new_one(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """With the setup cached, a /log stores its entry in the statement that locks the member,
    only if the setup is still the cached one. Another process's import changes a point
    value: the next /log stores nothing by the old one and is scored by the new."""
    import_playbook(db, clock)
    assert services.activities.log_text("T0001", "U0REP1", "call 2").points == 2
    import_playbook(  # another process: this one's cache is not told
        db,
        clock,
        PLAYBOOK.replace(
            "{key: call, name: Call, points: 1}", "{key: call, name: Call, points: 4}"
        ),
    )
    again = services.activities.log_text("T0001", "U0REP1", "call 2")
    assert (again.points, again.today_points) == (8, 10)
    with db.connect() as connection:
        logged = connection.scalars(select(ActivityLog.points).order_by(ActivityLog.id)).all()
    assert logged == [2, 8]
    assert rollups(db) == from_ledger(db)


def test_rollups_rebuild_repairs_them_and_reports_progress(
    db: Engine,
    services: Services,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_playbook(db, clock)
    for user in ("U0REP1", "U0REP2"):
        services.activities.log_text("T0001", user, "demo 3")
    expected = from_ledger(db)
    with db.begin() as connection:
        connection.execute(text("UPDATE daily_points SET activity_points = 999"))
        connection.execute(text("UPDATE monthly_points SET result_points = 999"))
    assert rollups(db) != expected
    assert monthly_rollups(db) != by_month(expected)
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    assert main(["rollups", "rebuild"], clock) == 0
    assert rollups(db) == expected
    assert monthly_rollups(db) == by_month(expected)
    printed = capsys.readouterr()
    assert "T0001: rebuilding" in printed.err
    assert "T0001: 2 ledger entries into 2 member-days." in printed.out
    with db.begin() as connection:
        connection.execute(text("UPDATE daily_points SET activity_points = 999"))
    broken = rollups(db)
    assert main(["rollups", "rebuild", "TNOPE"], clock) == 2
    assert "No workspace TNOPE in this database (workspaces: T0001)" in capsys.readouterr().err
    assert rollups(db) == broken


def with_statements(db: Engine, call: Callable[[], T]) -> tuple[T, list[str]]:
    """What `call` returns, and the statements it sent (besides BEGIN and the pool's check)."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SELECT 1")):
            statements.append(statement)

    engines = [db, *filter(None, [single_statement_engine(db)])]  # and the whole-/log pool
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        return call(), statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    ("text", "playbook", "postgres", "sqlite"),
    [("call 2", PLAYBOOK, 1, 6), ("demo 2", PLAYBOOK, 4, 7), ("demo 2", OKR_PLAYBOOK, 5, 9)],
)
def test_a_log_takes_one_statement_whatever_the_size_of_the_workspace(
    db: Engine,
    services: Services,
    clock: FakeClock,
    text: str,
    playbook: str,
    postgres: int,
    sqlite: int,
) -> None:
    """One statement for /log on PostgreSQL, once the process knows the workspace's setup:
    it locks the member, stores the log, its ledger entry and its day's and month's rollups,
    and reads the reply's figures, and commits itself (log_at_once). A capped activity
    (demo) takes four: the lock, today's units, the log, and the rest. An activity that
    moves a key result (demo, in the OKR playbook) takes five: the lock with the log, three
    for the key result, and the rest. SQLite, where the combined statements are apart,
    takes six, seven and nine."""
    expected = sqlite if db.dialect.name == "sqlite" else postgres
    import_playbook(db, clock, playbook)
    for n in range(40):  # other members and history: none of it is read row by row
        services.activities.log_text("T0001", f"U0OTHER{n:02d}", "call 3")
    services.activities.log_text("T0001", "U0REP1", "call")  # the member and catalog are known
    reply, statements = with_statements(
        db, lambda: services.activities.log_text("T0001", "U0REP1", text)
    )
    assert reply.points > 0
    assert reply.rank is not None
    assert len(statements) == expected, "\n\n".join(statements)


def test_a_member_new_to_this_process_is_found_by_the_log_itself(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """A second server process (or one restarted) knows the workspace's setup after its first
    /log; a stored member it has not seen yet costs no read of their own: the statement that
    locks them finds them. A member stored nowhere is still created by their first /log."""
    import_playbook(db, clock)
    for user in ("U0REP1", "U0REP2"):
        services.activities.log_text("T0001", user, "call")
    other_process = build_services(db, clock)
    other_process.activities.log_text("T0001", "U0REP1", "call")  # reads the setup
    reply, statements = with_statements(
        db, lambda: other_process.activities.log_text("T0001", "U0REP2", "call 2")
    )
    assert (reply.points, reply.today_points) == (2, 3)
    assert len(statements) == (6 if db.dialect.name == "sqlite" else 1), "\n\n".join(statements)
    newcomer = other_process.activities.log_text("T0001", "U0NEW1", "call")
    assert (newcomer.points, newcomer.today_points) == (1, 1)
    with db.connect() as connection:
        members = connection.scalars(select(Member.user_id).where(Member.user_id == "U0NEW1"))
        assert members.all() == ["U0NEW1"]


def test_a_quarter_board_takes_five_statements_whatever_the_size_of_the_team(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """A team's quarter board reads the teams, the workspace (once), the team's members,
    their rollups and the names of its top rows: five statements, however many members and
    days there are."""
    import_playbook(db, clock)
    for _day in range(3):  # three days of the quarter
        for rep in REPS[:3]:
            services.activities.log_text("T0001", rep, "call 2")
        clock.advance(days=1)
    board, statements = with_statements(
        db, lambda: services.standings.board("T0001", "quarter Sales East")
    )
    assert sorted((row.user_id, row.points) for row in board.top) == [(rep, 6) for rep in REPS[:3]]
    assert len(statements) <= 5, "\n\n".join(statements)


def test_logs_during_a_timezone_change_land_on_the_new_calendar(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """An import that moves the workspace waits for logs in flight, and later logs wait for
    it: rollups and ledger agree, and neither side fails."""
    import_playbook(db, clock)
    errors: list[Exception] = []
    stop = threading.Event()

    def rep(user: str) -> None:
        try:
            while not stop.is_set():
                entry = services.activities.log_text("T0001", user, "call 2")
                services.activities.undo("T0001", user, entry.log_id)
                services.activities.log_text("T0001", user, "demo")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=rep, args=(f"U0REP{n}",)) for n in (1, 2, 3)]
    for worker in workers:
        worker.start()
    try:
        for zone in ("Pacific/Auckland", "Asia/Kolkata", "America/Los_Angeles"):
            import_playbook(db, clock, PLAYBOOK.replace("America/New_York", zone))
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert errors == []
    assert rollups(db) == from_ledger(db)


@pytest.mark.parametrize("held", [False, True])
def test_an_award_after_an_import_moved_the_workspace_lands_on_the_new_calendar(
    db: Engine, clock: FakeClock, held: bool
) -> None:
    """A transaction that read the workspace (and, like a check-in, may still hold that
    copy) before an import moved it to another timezone writes its ledger entry's points to
    the day of the new calendar: the zone is read again with the workspace's share lock."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    import_playbook(db, clock)
    at = datetime(2026, 11, 3, 20, 0, tzinfo=ZoneInfo("UTC"))  # 3 Nov in New York, 4th in Tokyo
    with unit_of_work_factory(db)() as uow:
        repo = uow.repo("T0001")
        copy = repo.workspace()
        assert copy is not None
        assert copy.timezone == "America/New_York"
        if not held:
            del copy
        import_playbook(db, clock, PLAYBOOK.replace("America/New_York", "Asia/Tokyo"))
        repo.add_ledger_entry(
            user_id="U0REP1",
            points=7,
            category="result",
            reason="award",
            reference="K1",
            occurred_at=at,
            recorded_at=at,
        )
        uow.commit()
    assert rollups(db) == from_ledger(db) == {("U0REP1", date(2026, 11, 4)): (0, 7, 0)}


def test_a_new_counts_link_from_an_import_applies_to_the_next_log_in_a_warm_process(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """Which key results an activity counts toward is kept with the cached catalog; an import
    that moves the link renews it, so the very next /log moves the new key result only."""
    services.setup.import_playbook(parse_playbook(OKR_PLAYBOOK))
    services.activities.log_text("T0001", "U0REP2", "demo 2")  # the catalog is now cached
    moved = OKR_PLAYBOOK.replace("counts: K2, feeds: [K1]", "counts: K1")
    services.setup.import_playbook(parse_playbook(moved))
    reply = services.activities.log_text("T0001", "U0REP2", "demo 3")
    assert [kr.ref for kr in reply.moved] == ["K1"]
    with services.activities.ctx.uow() as uow:
        okrs = uow.okrs("T0001")
        values = {ref: okrs.key_result_by_ref(ref).current_value for ref in ("K1", "K2")}
    assert values == {"K1": 3.0, "K2": 2.0}


def test_streak_days_fold_into_64_bits_at_the_window_edge(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """The last day one member's number can hold comes back exactly; a day past it is left
    out rather than overflowing (64-bit integers in both databases)."""
    import_playbook(db, clock)
    services.activities.log_text("T0001", "U0REP1", "call")
    day = clock.now().astimezone(ZoneInfo("America/New_York")).date()
    with services.activities.ctx.uow() as uow:
        repo = uow.repo("T0001")
        assert dict(repo.active_days_by_member(day - timedelta(days=61))) == {"U0REP1": [day]}
        assert dict(repo.active_days_by_member(day - timedelta(days=62))) == {}
        assert dict(repo.active_days_by_member(day)) == {"U0REP1": [day]}


def test_a_ledger_entry_recorded_twice_adds_to_its_day_once(db: Engine, clock: FakeClock) -> None:
    """A result awarded again (same reason and reference, as a retried check-in would) is
    refused whole: neither the ledger nor the member's day counts it twice."""
    import_playbook(db, clock)
    now = clock.now()
    entry = {"user_id": "U0REP1", "points": 25, "category": "result", "reason": "kr_achieved"}
    entry |= {"reference": "kr:7", "occurred_at": now, "recorded_at": now}
    added = []
    for _ in range(2):
        with unit_of_work_factory(db)() as uow:
            added.append(uow.repo("T0001").add_ledger_entry(**entry))
            uow.commit()
    assert added == [True, False]
    today = now.astimezone(ZoneInfo("America/New_York")).date()
    assert rollups(db) == from_ledger(db) == {("U0REP1", today): (0, 25, 0)}


def test_the_log_reply_counts_the_entry_as_a_later_reading_would(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """The reply's figures (read in the same statement as the entry on PostgreSQL) equal
    what a reading after the log says, across days, a week's turn, a key result achieved by
    the log itself (K2 at 40 demos: 50 result points), members in a team and one in none."""
    import_playbook(db, clock, OKR_PLAYBOOK)
    users = ["U0REP1", "U0REP2", "U0REP3", "U0OUTSIDER"]
    texts = ["demo 4", "call 3", "demo", "proposal 2", "call"]
    achieved = False
    for n in range(48):
        user = users[n % 4] if n % 5 else "U0REP2"
        reply = services.activities.log_text("T0001", user, texts[n % 5])
        with unit_of_work_factory(db)() as uow:
            repo = uow.repo("T0001")
            tz = ZoneInfo(repo.timezone().key)
            today = clock.now().astimezone(tz).date()
            monday = today - timedelta(days=today.weekday())
            later = repo.standing(user, today, (monday, monday + timedelta(days=6)))
        assert (reply.today_points, reply.week_points) == (later.today, later.week), n
        assert reply.rank is not None
        assert (reply.rank.rank, reply.rank.size) == (later.above + 1, later.size), n
        achieved = achieved or any(m.ref == "K2" and m.current >= 40 for m in reply.moved)
        clock.advance(hours=9)
    assert achieved, "a log achieved K2 on the way"


def _until_a_statement_waits_for_a_lock(db: Engine) -> None:
    """Return once a session of this database waits for a row lock (10 s at most)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    while True:
        with db.connect() as probe:
            if probe.scalar(query):
                return
        assert time.monotonic() < deadline, "the /log never waited for the day's row"
        time.sleep(0.01)


def test_the_log_reply_counts_points_another_transaction_added_to_the_day_meanwhile(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """A key result's award for the member, committed while their /log waits for the day's
    row, is in the reply's today and week as in any later reading (PostgreSQL reads and
    writes in one statement there; SQLite writes one transaction at a time)."""
    if db.dialect.name != "postgresql":
        pytest.skip("concurrent writers to one row are PostgreSQL's")
    import_playbook(db, clock)
    services.activities.log_text("T0001", "U0REP1", "call")  # today's row: 1 point
    now, replies = clock.now(), []
    award = {"user_id": "U0REP1", "points": 50, "category": "result", "reason": "kr_achieved"}
    award |= {"reference": "kr:9", "occurred_at": now, "recorded_at": now}
    with unit_of_work_factory(db)() as uow:
        assert uow.repo("T0001").add_ledger_entry(**award)  # holds the day's row
        rep = threading.Thread(
            target=lambda: replies.append(services.activities.log_text("T0001", "U0REP1", "call 2"))
        )
        rep.start()
        _until_a_statement_waits_for_a_lock(db)
        uow.commit()
    rep.join(timeout=30)
    assert [(r.today_points, r.week_points) for r in replies] == [(53, 53)]
    assert rollups(db) == from_ledger(db)


def test_a_log_waiting_for_an_import_in_another_process_is_scored_by_the_import(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """A /log of a process with the setup cached waits for an import elsewhere (it locks the
    workspace's row to share); once the import commits, the log is scored by the new setup,
    not by the cached one it was read with."""
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    import_playbook(db, clock)
    services.activities.log_text("T0001", "U0REP1", "call")  # the setup is cached here
    replies = []
    with db.begin() as connection:  # the import, in another process, not committed yet
        connection.execute(
            update(ActivityType)
            .where(ActivityType.workspace_id == "T0001", ActivityType.key == "call")
            .values(points=4)
        )
        connection.execute(
            update(Workspace)
            .where(Workspace.id == "T0001")
            .values(config_version=Workspace.config_version + 1)
        )
        rep = threading.Thread(
            target=lambda: replies.append(services.activities.log_text("T0001", "U0REP1", "call 2"))
        )
        rep.start()
        _until_a_statement_waits_for_a_lock(db)
    rep.join(timeout=30)
    assert [(r.points, r.today_points) for r in replies] == [(8, 9)]
    assert rollups(db) == from_ledger(db)


@pytest.mark.parametrize(
    ("call", "text", "expected"),
    [
        ("", "call 2", "I don't know the activity `call`"),  # the import removed it
        ("{key: call, name: Call, points: 1, daily_cap: 3}", "call 2", "1 over"),
    ],
)
def test_a_log_after_another_process_changed_its_activity_follows_the_new_rules(
    db: Engine, services: Services, clock: FakeClock, call: str, text: str, expected: str
) -> None:
    """With the setup cached, a /log after an import elsewhere removed its activity is
    refused as unknown, storing nothing; one after the import gave it a daily cap is capped."""
    import_playbook(db, clock)
    services.activities.log_text("T0001", "U0REP1", "call 2")  # cached; 2 units today
    before = from_ledger(db)
    changed = PLAYBOOK.replace(
        "  - {key: call, name: Call, points: 1}\n", f"  - {call}\n" if call else ""
    )
    import_playbook(db, clock, changed)  # another process: this one's cache is not told
    if call:
        reply = services.activities.log_text("T0001", "U0REP1", text)
        assert (reply.points, reply.units_over_cap) == (1, 1), expected
        return
    with pytest.raises(UserError, match=expected):
        services.activities.log_text("T0001", "U0REP1", text)
    assert from_ledger(db) == before


def test_the_migration_to_monthly_rollups_sums_the_daily_ones(
    db: Engine, services: Services, clock: FakeClock
) -> None:
    """A database from before monthly rollups (revision 0015) gets them, summed from its
    daily ones, when it is upgraded; boards then read them. A workspace still at
    configuration version 0 gets a random one."""
    import_playbook(db, clock)
    for _week in range(3):  # across the end of November
        services.activities.log_text("T0001", "U0REP1", "demo 2")
        services.activities.log_text("T0001", "U0REP2", "call 3")
        clock.advance(days=7)
    config = alembic_config()
    with db.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0015")
        # as revision 0008 left every workspace it found
        connection.execute(update(Workspace).values(config_version=0))
    assert pending_revisions(db) == ["0016", "0017", "0018"]
    assert upgrade(db) == ["0016", "0017", "0018"]
    with db.connect() as connection:
        assert connection.scalar(select(Workspace.config_version)) != 0
    months = monthly_rollups(db)
    assert months == by_month(from_ledger(db))
    assert {month for _user, month in months} == {date(2026, 11, 1), date(2026, 12, 1)}
    board = services.standings.board("T0001", "quarter Sales East")
    assert {row.user_id: row.points for row in board.top if row.points} == {
        "U0REP1": 30,
        "U0REP2": 9,
    }
