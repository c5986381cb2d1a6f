"""`python -m benchmarks.scheduler`: weekly digests and leaderboard posts at scale, and the pacer.

Seeds 10,000 reps in 500 teams (plus a manager each), 1,000,000 activity entries over the
quarter and weekly check-ins on 1,000 key results, in PostgreSQL, then builds every manager
digest and every leaderboard post. Prints the build time (median of 3, after one build to
warm up), the queries per team, and the peak memory. Then sends messages through the outbox to a fake Slack that answers 429
when a channel gets more than one message a second, and compares the rate to the allowed one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text

from bot.clock import Clock
from bot.pacing import Pacer
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_calls import Call, Failure
from bot.services.schedule.digests import build_digest, build_leaderboard_post
from bot.services.schedule.messages import LeaderboardPost
from bot.services.schedule.workspace_data import WorkspaceData
from bot.slack_edge import SingleToken
from bot.slack_outbox import SlackOutbox
from handlers.schedule import scheduled_blocks
from storage.activities import rollup_rebuild
from storage.db import make_engine, unit_of_work_factory
from storage.migrate import upgrade

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
ADMIN_URL = f"{SERVER}/postgres"
BENCH_URL = f"{SERVER}/okrbot_sched_bench"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Monday 09:00 in Los Angeles


class FixedClock(Clock):
    def now(self) -> datetime:
        return NOW


def progress(message: str) -> None:
    print(f"-> {message}", file=sys.stderr, flush=True)


def seed(teams: int, per_team: int, activities: int) -> None:
    admin = make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS okrbot_sched_bench"))
        connection.execute(text("CREATE DATABASE okrbot_sched_bench"))
    admin.dispose()
    engine = make_engine(BENCH_URL, timeout=1800)  # seeding a million rows takes minutes
    upgrade(engine)
    members = teams * per_team
    statements = [
        "INSERT INTO workspaces (id, timezone, checkin_points, holidays, schedules, created_at) "
        "VALUES ('TBENCH', 'America/New_York', 2, '[]', '{}', '2026-09-01')",
        "INSERT INTO activity_types (workspace_id, key, name, points, position, active) VALUES "
        "('TBENCH','call','Call',1,0,true),('TBENCH','demo','Demo',5,1,true),('TBENCH','proposal','Proposal',10,2,true)",
        f"INSERT INTO members (workspace_id, user_id, is_admin, created_at) "
        f"SELECT 'TBENCH', 'U' || lpad(g::text, 6, '0'), false, '2026-09-01' FROM generate_series(1, {members + teams}) g",
        f"INSERT INTO teams (workspace_id, name, channel_id, active) "
        f"SELECT 'TBENCH', 'Team ' || lpad(g::text, 4, '0'), 'C' || lpad(g::text, 6, '0'), true FROM generate_series(1, {teams}) g",
        f"INSERT INTO team_memberships (workspace_id, team_id, user_id, role) "
        f"SELECT 'TBENCH', t.id, 'U' || lpad(((t.id - 1) * {per_team} + m)::text, 6, '0'), 'member' "
        f"FROM teams t CROSS JOIN generate_series(1, {per_team}) m",
        f"INSERT INTO team_memberships (workspace_id, team_id, user_id, role) "
        f"SELECT 'TBENCH', t.id, 'U' || lpad(({members} + t.id)::text, 6, '0'), 'manager' FROM teams t",
        "INSERT INTO cycles (workspace_id, name, starts_on, ends_on) VALUES ('TBENCH', '2026-Q4', '2026-10-01', '2026-12-31')",
        "INSERT INTO objectives (workspace_id, ref, cycle_id, title, level, kind, team_id, archived, created_at) "
        "SELECT 'TBENCH', 'O' || t.id, c.id, 'Win ' || t.name, 'team', 'committed', t.id, false, '2026-10-01' "
        "FROM teams t, cycles c",
        f"INSERT INTO key_results (workspace_id, ref, objective_id, position, title, owner_id, kr_type, unit, "
        f"start_value, target_value, current_value, weight, points, milestones, milestones_done, archived, created_at) "
        f"SELECT 'TBENCH', 'K' || (o.team_id * 2 - 1 + k), o.id, k, "
        f"CASE k WHEN 0 THEN 'Close 20 deals' ELSE 'Book 40 demos' END, "
        f"'U' || lpad(((o.team_id - 1) * {per_team} + 1 + k)::text, 6, '0'), 'increase_to', "
        f"CASE k WHEN 0 THEN 'deals' ELSE 'demos' END, 0, CASE k WHEN 0 THEN 20 ELSE 40 END, "
        f"(o.team_id % 10) + k * 5, 1, 100, '[]', '[]', false, '2026-10-01' "
        f"FROM objectives o CROSS JOIN generate_series(0, 1) k",
        "INSERT INTO activity_links (workspace_id, activity_type_id, key_result_id, role) "
        "SELECT 'TBENCH', a.id, kr.id, 'feeds' FROM key_results kr, activity_types a "
        "WHERE kr.position = 0 AND a.key IN ('call', 'demo')",
        "INSERT INTO checkins (workspace_id, key_result_id, user_id, value, confidence, note, blockers, created_at) "
        "SELECT 'TBENCH', kr.id, kr.owner_id, w * 0.8, 5 + (w % 5), '', '', "
        "timestamptz '2026-10-02 15:00+00' + (w || ' weeks')::interval "
        "FROM key_results kr CROSS JOIN generate_series(0, 7) w",
        f"INSERT INTO activity_logs (workspace_id, user_id, activity_type_id, quantity, points_per_unit, points, "
        f"units_over_cap, note, logged_at) "
        f"SELECT 'TBENCH', 'U' || lpad((1 + (g::bigint * 7919) % {members})::text, 6, '0'), "
        f"(SELECT id FROM activity_types WHERE key = (ARRAY['call','demo','proposal'])[1 + g % 3]), "
        f"1 + g % 3, (ARRAY[1,5,10])[1 + g % 3], (1 + g % 3) * (ARRAY[1,5,10])[1 + g % 3], 0, '', "
        f"timestamptz '2026-10-01 13:00+00' + ((g::bigint * 4493) % 4665600 || ' seconds')::interval "
        f"FROM generate_series(1, {activities}) g",
        "INSERT INTO ledger_entries (workspace_id, user_id, points, category, reason, reference, occurred_at, recorded_at) "
        "SELECT workspace_id, user_id, points, 'activity', 'activity', id::text, logged_at, logged_at FROM activity_logs",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
        rollup_rebuild.rebuild(connection, "TBENCH")  # as `okrbot rollups rebuild` would
    engine.dispose()
    # Settled as a database in use would be, so autovacuum does not start during the builds.
    settled = make_engine(BENCH_URL, isolation_level="AUTOCOMMIT", timeout=1800)
    with settled.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    settled.dispose()


def build_all(engine: Any) -> tuple[float, int, int, int, int]:
    """Build every manager digest and leaderboard post.

    Returns seconds, queries to load the workspace, queries for all teams, digests and posts.
    """
    queries = [0]

    def count(*_args: Any) -> None:
        queries[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    uow = unit_of_work_factory(engine)
    started = time.perf_counter()
    with uow() as work:
        repo, okrs, schedule = work.repo("TBENCH"), work.okrs("TBENCH"), work.schedule("TBENCH")
        digest_data = WorkspaceData(repo, okrs, NOW, week_of=NOW.replace(day=22))
        board_data = WorkspaceData(repo, okrs, NOW, streaks=True, okrs_too=False)
        loading = queries[0]
        digests = posts = 0
        for team_id, managers in digest_data.managers.items():
            for manager in managers:
                digests += (
                    build_digest(digest_data, team_id, manager=manager, channel=None) is not None
                )
            posts += build_leaderboard_post(board_data, schedule, team_id, "2026-W48") is not None
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    return elapsed, loading, queries[0] - loading, digests, posts


class StrictSlack(FakeSlack):
    """A fake Slack that answers 429 (Retry-After 1) to a second message within a second to a channel."""

    def __init__(self) -> None:
        super().__init__()
        self.last: dict[str, float] = {}
        self.limited = 0

    def record(self, call: Call) -> Failure | None:
        channel = str(call.params.get("channel", ""))
        now = time.monotonic()
        with self.condition:
            if call.method == "chat.postMessage" and now - self.last.get(channel, -10.0) < 0.95:
                self.limited += 1
                return Failure(429, 1)
            self.last[channel] = now
        return super().record(call)


def pacing(channels: int, per_channel: int) -> tuple[float, float, int]:
    fake = StrictSlack()
    fake.start()
    outbox = SlackOutbox(
        SingleToken("xoxb-bench", fake.api_url),
        scheduled_blocks.render,
        Pacer(now=time.monotonic, sleep=time.sleep, per_channel=1.0, per_second=50),
    )
    started = time.perf_counter()
    for round_ in range(per_channel):
        for channel in range(channels):
            outbox.deliver(
                "T0001",
                LeaderboardPost(
                    channel=f"C{channel:03d}",
                    team="Bench",
                    week=f"week {round_}",
                    rows=[],
                    climber=None,
                    streaks=[],
                    last_cheers=None,
                ),
                f"bench:{round_}:{channel}",
            )
    elapsed = time.perf_counter() - started
    fake.stop()
    sent = channels * per_channel
    # The first message to each channel may go at once; each later one waits a second.
    allowed = sent / max(per_channel - 1, 1) if per_channel > 1 else float("inf")
    return sent / elapsed, allowed, fake.limited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--per-team", type=int, default=20)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--skip-seed", action="store_true", help="reuse the last seeded database")
    parser.add_argument("--builds", type=int, default=3, help="timed builds (default 3)")
    parser.add_argument(
        "--digests-only", action="store_true", help="end with one line of JSON; no pacing"
    )
    args = parser.parse_args()
    try:
        probe = make_engine(ADMIN_URL)
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as error:
        reason = str(error).splitlines()[0]
        print(
            f"This benchmark needs PostgreSQL at {SERVER} (set BENCH_POSTGRES): {reason}",
            file=sys.stderr,
        )
        raise SystemExit(2) from error
    if not args.skip_seed:
        progress(
            f"seeding {args.teams * args.per_team} reps in {args.teams} teams, {args.activities} activities"
        )
        started = time.perf_counter()
        seed(args.teams, args.per_team, args.activities)
        progress(f"seeded in {time.perf_counter() - started:.0f} s")
    engine = make_engine(BENCH_URL, timeout=600)
    runs = []
    progress("building every digest and leaderboard post once to warm up (not counted)")
    build_all(engine)
    for run in range(args.builds):
        progress(f"building every digest and leaderboard post, run {run + 1} of {args.builds}")
        runs.append(build_all(engine))
    engine.dispose()
    seconds = statistics.median(r[0] for r in runs)
    _elapsed, loading, per_teams, digests, posts = runs[-1]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.digests_only:
        figures = {"seconds": [r[0] for r in runs], "peak_mb": peak_mb, "built": digests + posts}
        print(json.dumps(figures))
        return
    progress(
        "pacing 30 messages to 3 channels against a fake Slack enforcing 1 message/s per channel"
    )
    rate, allowed, limited = pacing(3, 10)
    print()
    print(
        f"{args.teams * args.per_team} reps, {args.teams} teams, {args.activities} activity entries, PostgreSQL"
    )
    print("| figure | value |\n|---|---|")
    print(f"| manager digests + leaderboard posts built | {digests} + {posts} |")
    print(f"| build time, median of {args.builds} | {seconds:.2f} s |")
    print(f"| build times | {', '.join(f'{r[0]:.2f}' for r in runs)} s |")
    print(f"| queries to load the workspace | {loading} |")
    print(
        f"| queries for all {args.teams} teams | {per_teams} ({per_teams / args.teams:g} per team) |"
    )
    print(f"| peak memory (max RSS of this process) | {peak_mb:.0f} MB |")
    print(
        f"| outbox send rate vs allowed (3 channels, 10 each) | {rate:.2f}/s vs {allowed:.2f}/s ({rate / allowed * 100:.0f}%), {limited} answered 429 |"
    )


if __name__ == "__main__":
    main()
