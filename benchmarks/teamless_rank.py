"""`python -m benchmarks.teamless_rank`: the `/log` reply's figures for someone in no team,
who is ranked among every member of the workspace, on PostgreSQL.

Seeds a workspace of `--members` members in no team, each with points on five days of the
week (their daily rollups, as `/log` leaves them), then reads one member's standing (today,
this week, rank and scope size: the reading `/log` makes after its write) `--runs` times on
one connection and prints the median and p99 after five warm-up readings.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from sqlalchemy import text

from benchmarks.servers import fresh_postgres, percentile, progress
from storage.db import make_engine, unit_of_work_factory
from storage.migrate import upgrade

TODAY = date(2026, 11, 27)
WEEK = (date(2026, 11, 23), date(2026, 11, 29))


def seed(url: str, members: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    values = {"members": members}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, timezone, created_at, config_version)"
                " VALUES ('TALONE', 'UTC', now(), 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO members (workspace_id, user_id, created_at, is_admin)"
                " SELECT 'TALONE', 'U' || n, now(), false FROM generate_series(1, :members) n"
            ),
            values,
        )
        connection.execute(
            text(
                "INSERT INTO daily_points"
                " (workspace_id, user_id, day, activity_points, result_points, activities)"
                " SELECT 'TALONE', 'U' || n, d::date, (n * 7 + extract(day FROM d)::int) % 50,"
                " 0, 1 FROM generate_series(1, :members) n,"
                " generate_series('2026-11-23'::date, '2026-11-27'::date, '1 day') d"
            ),
            values,
        )
        connection.execute(text("ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = fresh_postgres("okrbot_teamless")
    if url is None:
        return
    progress(f"seeding {args.members:,} members in no team, five days of points each")
    seed(url, args.members)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    times = []
    with unit_of_work_factory(engine)() as uow:
        repo = uow.repo("TALONE")
        for _ in range(args.runs + 5):
            started = time.perf_counter()
            standing = repo.standing("U123", TODAY, WEEK)
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    if standing.team is not None or standing.size != args.members:
        raise SystemExit(f"unexpected standing: {standing}")
    measured = times[5:]
    print(
        f"\n/log figures of a member in no team, {args.members:,} members: "
        f"median {statistics.median(measured):.1f} ms, p99 {percentile(measured, 0.99):.1f} ms "
        f"(rank {standing.above + 1:,} of {standing.size:,})"
    )


if __name__ == "__main__":
    main()
