"""`python -m benchmarks.senders`: scheduled sends spread over 1, 2 and 4 sender processes.

Seeds 100 workspaces of 200 reps on PostgreSQL, each with its own bot token, and plans the
activity nudge for all 20,000 at once. A fake Slack enforces Slack's limits: one message a
second to a channel, and 20 a second to a workspace (429 with Retry-After beyond that).
Then 1, 2 and 4 sender processes (`okrbot sender`'s loop) send the same plan afresh. Prints
the send rate of each, and checks that every nudge went out exactly once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import text

from bot.app import build_services
from bot.clock import Clock
from bot.pacing import Pacer
from bot.playbook import parse_playbook
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_calls import Call, Failure
from bot.sandbox.slack_oauth import bearer
from bot.slack_edge import Use, make_client
from bot.slack_outbox import SlackOutbox
from handlers.schedule import scheduled_blocks
from storage.db import make_engine
from storage.migrate import upgrade

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
BENCH_URL = f"{SERVER}/okrbot_senders_bench"
MONDAY_4PM_NEW_YORK = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
PER_CHANNEL, PER_WORKSPACE = 1.0, 20.0  # Slack's limits: seconds per channel, messages/s


class At(Clock):
    def now(self) -> datetime:
        return MONDAY_4PM_NEW_YORK


class TokenPerWorkspace:
    """Each workspace's own bot token, `xoxb-<team id>`, as installations give them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def client_for(self, workspace_id: str, use: Use = Use.REPLY) -> WebClient:
        return make_client(f"xoxb-{workspace_id}", self.base_url, use)


class LimitedSlack(FakeSlack):
    """Answers 429 (Retry-After 1) beyond one message a second to a channel, or beyond 20 a
    second to a workspace (known by its token)."""

    def __init__(self) -> None:
        super().__init__()
        self.channel_last: dict[str, float] = {}
        self.workspace_sent: dict[str, list[float]] = {}
        self.limited = 0

    def record(self, call: Call) -> Failure | None:
        if call.method == "chat.postMessage":
            now, channel = time.monotonic(), str(call.params.get("channel", ""))
            with self.condition:
                recent = [t for t in self.workspace_sent.get(bearer(call), []) if now - t < 1.0]
                if now - self.channel_last.get(channel, -10.0) < 0.95 or len(recent) >= 20:
                    self.limited += 1
                    return Failure(429, 1)
                self.channel_last[channel] = now
                self.workspace_sent[bearer(call)] = [*recent, now]
        return super().record(call)


def progress(message: str) -> None:
    print(f"-> {message}", file=sys.stderr, flush=True)


def playbook(workspace: str, reps: int) -> str:
    members = ", ".join(f"U{workspace[1:]}R{n:03d}" for n in range(reps))
    return (
        f"workspace: {workspace}\ntimezone: America/New_York\nteams:\n"
        f"  - {{name: Sales, channel: C{workspace[1:]}S, members: [{members}]}}\n"
    )


def seed(workspaces: int, reps: int) -> None:
    admin = make_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS okrbot_senders_bench"))
        connection.execute(text("CREATE DATABASE okrbot_senders_bench"))
    admin.dispose()
    engine = make_engine(BENCH_URL)
    upgrade(engine)
    setup = build_services(engine, At()).setup
    for number in range(workspaces):
        setup.import_playbook(parse_playbook(playbook(f"T{number:04d}", reps)))
    engine.dispose()


def plan() -> int:
    """Forget earlier sends and plan the nudge for everyone; return how many were planned."""
    engine = make_engine(BENCH_URL)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM scheduled_sends"))
    build_services(engine, At()).scheduler.plan_due()
    with engine.connect() as connection:
        planned = int(connection.scalar(text("SELECT count(*) FROM scheduled_sends")) or 0)
    engine.dispose()
    return planned


def worker(api_url: str) -> None:
    """One sender process: send planned messages until none is left; print how many."""
    engine = make_engine(BENCH_URL)
    edge = TokenPerWorkspace(api_url)
    pacer = Pacer(
        now=time.monotonic, sleep=time.sleep, per_channel=PER_CHANNEL, per_second=PER_WORKSPACE
    )
    outbox = SlackOutbox(edge, scheduled_blocks.render, pacer)
    report = build_services(engine, At(), edge, outbox).scheduler.send_planned(batch=20)
    print(report.sent, report.failed, flush=True)


def run(senders: int, fake: LimitedSlack) -> dict[str, Any]:
    planned = plan()
    before = len(fake.calls_to("chat.postMessage"))
    limited = fake.limited
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.senders", "--worker", fake.api_url],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(senders)
    ]
    outputs = [process.communicate()[0] for process in processes]
    elapsed = time.perf_counter() - started
    posts = fake.calls_to("chat.postMessage")[before:]
    keys = Counter(call.params["metadata"]["event_payload"]["key"] for call in posts)
    engine = make_engine(BENCH_URL)
    with engine.connect() as connection:
        sent = int(
            connection.scalar(text("SELECT count(*) FROM scheduled_sends WHERE status = 'sent'"))
            or 0
        )
    engine.dispose()
    shares = [int(output.split()[0]) for output in outputs if output.strip()]
    return {
        "senders": senders,
        "planned": planned,
        "seconds": elapsed,
        "rate": len(keys) / elapsed,
        "duplicates": sum(count - 1 for count in keys.values()),
        "missing": planned - sent,
        "limited": fake.limited - limited,
        "shares": shares,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--senders", default="1,2,4", help="sender counts to try (default 1,2,4)")
    parser.add_argument("--worker", metavar="API_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    progress(f"seeding {args.workspaces} workspaces of {args.reps} reps")
    seed(args.workspaces, args.reps)
    fake = LimitedSlack()
    fake.start()
    results = []
    for count in (int(n) for n in args.senders.split(",")):
        progress(f"{count} sender(s)")
        results.append(run(count, fake))
    fake.stop()
    total = args.workspaces * args.reps
    print(
        f"\nactivity nudge to {total:,} reps in {args.workspaces} workspaces, PostgreSQL, "
        f"fake Slack at {PER_CHANNEL:g} message/s per channel and {PER_WORKSPACE:g}/s per workspace\n"
    )
    print("| senders | sent/s | seconds | duplicates | missing | 429s | each sender's share |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['senders']} | {r['rate']:.0f} | {r['seconds']:.1f} | {r['duplicates']} | "
            f"{r['missing']} | {r['limited']} | {', '.join(map(str, r['shares']))} |"
        )
    base = results[0]["rate"]
    for r in results[1:]:
        print(f"{r['senders']} senders: {r['rate'] / base:.2f}x the rate of 1")


if __name__ == "__main__":
    main()
