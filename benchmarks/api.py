"""`python -m benchmarks.api`: activities stored per second through the REST API, beside /log.

okrbot (HTTP, PostgreSQL) serves both endpoints in this process, for a workspace of 200 reps.
One client posts batches of 500 activities to `POST /api/v1/activities` for `--seconds`;
then one client sends signed `/log` commands, one after another, for the same time. Prints
the activities stored per second each way (medians of the per-request rates, and totals).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from sqlalchemy import text

from bot.app import build_runtime
from bot.playbook import parse_playbook
from bot.sandbox.background import serve_in_background
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from bot.settings import Settings
from storage.db import make_engine
from storage.migrate import upgrade

SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
URL = f"{SERVER}/okrbot_api_bench"
SECRET = "bench-signing-secret"
REPS = [f"U0R{n:03d}" for n in range(200)]


def playbook() -> str:
    return (
        "workspace: T0001\ntimezone: UTC\nactivities:\n"
        "  - {key: call, name: Call, points: 1}\n  - {key: demo, name: Demo, points: 5}\n"
        f"teams:\n  - {{name: Sales, members: [{', '.join(REPS)}]}}\n"
    )


def fresh_database() -> None:
    admin = make_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS okrbot_api_bench"))
        connection.execute(text("CREATE DATABASE okrbot_api_bench"))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    fresh_database()
    fake = FakeSlack().start()
    settings = Settings(
        database_url=URL,
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    services = runtime.services
    services.setup.import_playbook(parse_playbook(playbook()))
    token = services.api.create_token("T0001", "bench", ["activities:write"])[1]
    served = serve_in_background(runtime.wsgi, threads=4)
    sender = SlackSender(
        base_url=served.url, secret=SECRET, response_url=fake.response_url(), fake=None
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    print("-> POST /api/v1/activities, batches of 500", file=sys.stderr, flush=True)
    api_rates, api_total, started, batch = [], 0, time.perf_counter(), 0
    while time.perf_counter() - started < args.seconds:
        body = {
            "activities": [
                {"member": REPS[n % len(REPS)], "activity": "call", "external_id": f"{batch}-{n}"}
                for n in range(500)
            ]
        }
        sent = time.perf_counter()
        reply = sender.raw("POST", "/api/v1/activities", json.dumps(body), headers)
        assert reply.status == 201, reply.body[:300]
        api_rates.append(500 / (time.perf_counter() - sent))
        api_total += 500
        batch += 1
    api_elapsed = time.perf_counter() - started

    print("-> signed /log, one after another", file=sys.stderr, flush=True)
    log_times, started, n = [], time.perf_counter(), 0
    while time.perf_counter() - started < args.seconds:
        sent = time.perf_counter()
        reply = sender.command("/log", "call", user=REPS[n % len(REPS)])
        assert reply.status == 200
        log_times.append(time.perf_counter() - sent)
        n += 1
    log_elapsed = time.perf_counter() - started
    served.stop()
    fake.stop()

    print(f"\nPostgreSQL, 200 reps, one client, {args.seconds:.0f} s each\n")
    print("| way in | activities stored | per second (total) | per second (median request) |")
    print("|---|---|---|---|")
    print(
        f"| POST /api/v1/activities, 500 a batch | {api_total:,} | {api_total / api_elapsed:.0f} | "
        f"{statistics.median(api_rates):.0f} |"
    )
    print(
        f"| signed /log, one per request | {len(log_times):,} | {len(log_times) / log_elapsed:.0f} | "
        f"{1 / statistics.median(log_times):.0f} |"
    )


if __name__ == "__main__":
    main()
