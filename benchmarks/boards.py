"""`python -m benchmarks.boards`: the quarter leaderboard of a 1,000-rep team over 1,000,000
activity entries, asked 100 times on one PostgreSQL connection.

psycopg 3 prepares a statement on the server after its fifth run, and PostgreSQL may then
switch to a generic plan that ignores the parameters. This compares, in one run:
psycopg's default, okrbot's setting (`plan_cache_mode=force_custom_plan`), prepares turned
off, and the raw ledger `SUM … GROUP BY` the board read before the daily rollups.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from benchmarks.scheduler import BENCH_URL, FixedClock, progress, seed
from bot.app import build_services
from storage.db import make_engine

RUNS = 100
RAW = text(
    "SELECT user_id, SUM(points) FROM ledger_entries "
    "WHERE workspace_id = 'TBENCH' AND occurred_at >= :start AND occurred_at < :end "
    "AND user_id = ANY(:members) GROUP BY user_id"
)


def engine_with(setting: str) -> Engine:
    """One pooled connection, configured as `setting` says."""
    options: dict[str, Any] = {"pool_size": 1, "max_overflow": 0}
    if setting == "psycopg default":
        engine = make_engine(BENCH_URL, plan_cache_mode=None, **options)
    elif setting == "prepares off":
        engine = make_engine(BENCH_URL, plan_cache_mode=None, **options)

        @event.listens_for(engine, "connect")
        def _no_prepares(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.prepare_threshold = None

    else:
        engine = make_engine(BENCH_URL, **options)  # okrbot's own setting
    return engine


def timed(call: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    first, rest = times[0], statistics.median(times[5:])
    return f"| {name} | {statistics.median(times):.1f} | {p99:.1f} | {first:.1f} | {rest:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--skip-seed", action="store_true", help="reuse the last seeded database")
    args = parser.parse_args()
    if not args.skip_seed:
        progress(f"seeding one team of {args.reps} reps and {args.activities} activities")
        seed(1, args.reps, args.activities)
    lines = []
    for setting in ("psycopg default", "prepares off", "okrbot: force_custom_plan"):
        progress(f"{RUNS} quarter boards on one connection, {setting}")
        engine = engine_with(setting)
        standings = build_services(engine, FixedClock()).standings
        board = standings.board("TBENCH", "quarter Team 0001")
        assert board.size == args.reps, board.size

        def ask(service: Any = standings) -> object:
            return service.board("TBENCH", "quarter Team 0001")

        lines.append(row(setting, timed(ask)))
        engine.dispose()
    progress(f"{RUNS} raw ledger sums on one connection")
    engine = engine_with("okrbot")
    period = board.period
    members = [f"U{n:06d}" for n in range(1, args.reps + 1)]
    with engine.connect() as connection:

        def raw() -> object:
            values = {"start": period.start, "end": period.end, "members": members}
            return connection.execute(RAW, values).all()

        lines.append(row("raw ledger SUM … GROUP BY (okrbot's setting)", timed(raw)))
    engine.dispose()
    print()
    print(f"Quarter board, one team of {args.reps} reps, {args.activities} activity entries")
    print("| reading | p50 ms | p99 ms | first ms | median of runs 6–100 ms |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
