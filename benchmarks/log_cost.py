"""`python -m benchmarks.log_cost`: what one `/log` costs, in-process, on SQLite and PostgreSQL.

Signed `/log` requests go straight into okrbot's WSGI app (Bolt and the handlers included,
no HTTP server), one after another, from 200 members in 10 teams set up from a playbook.
After a warm-up, for each engine: the statements per `/log` (besides BEGIN and COMMIT), the
CPU of this process per request (okrbot's share), the CPU of every PostgreSQL process per
request, and the wall time. Medians of 5 batches of 1,000 requests.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from typing import Any

from sqlalchemy import event

from benchmarks.servers import (
    SECRET,
    fresh_postgres,
    log_body,
    postgres_cpu_seconds,
    progress,
    seed_teams,
    signed_headers,
)
from bot.app import build_runtime
from bot.sandbox.slack_api import FakeSlack
from bot.settings import load_settings
from storage.single_statement import single_statement_engine

WARM_UP = 400


def environ(number: int, fake: FakeSlack) -> dict[str, Any]:
    """The WSGI environment of signed `/log` number `number`, as waitress would pass it."""
    body = log_body(number, fake).encode()
    headers = signed_headers(body.decode())
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        "wsgi.input": io.BytesIO(body),
    }


def measure(name: str, url: str, fake: FakeSlack, batches: int, size: int) -> str:
    seed_teams(url, 10)
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "LOG_LEVEL": "ERROR",
        }
    )
    runtime = build_runtime(settings)
    seen: list[str] = []

    def call(number: int) -> None:
        status: list[str] = []

        def start_response(line: str, _headers: Any, _error: Any = None) -> Any:
            status.append(line)

        answer = b"".join(runtime.wsgi(environ(number, fake), start_response))
        if not status[0].startswith("200") or b"Logged" not in answer:
            raise SystemExit(f"/log {number} was not logged: {status[0]} {answer[:120]!r}")

    for number in range(WARM_UP):
        call(number)

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engines = [runtime.engine, *filter(None, [single_statement_engine(runtime.engine)])]
    for engine in engines:  # and the pool of the one-statement /log
        event.listen(engine, "before_cursor_execute", count)
    call(WARM_UP)
    for engine in engines:
        event.remove(engine, "before_cursor_execute", count)
    statements = len(seen)
    client, server, wall = [], [], []
    first = WARM_UP + 1
    for batch in range(batches):
        cpu, postgres, started = time.process_time(), postgres_cpu_seconds(), time.perf_counter()
        for number in range(first + batch * size, first + (batch + 1) * size):
            call(number)
        wall.append((time.perf_counter() - started) * 1000 / size)
        client.append((time.process_time() - cpu) * 1000 / size)
        server.append((postgres_cpu_seconds() - postgres) * 1000 / size)
    runtime.engine.dispose()
    postgres_share = f"{statistics.median(server):.2f}" if name == "PostgreSQL" else "–"
    return (
        f"| {name} | {statements} | {statistics.median(client):.2f} "
        f"| {postgres_share} | {statistics.median(wall):.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--size", type=int, default=1000, help="requests a batch")
    args = parser.parse_args()
    fake = FakeSlack().start()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        progress("SQLite")
        rows.append(measure("SQLite", f"sqlite:///{folder}/cost.db", fake, args.batches, args.size))
    postgres = fresh_postgres("okrbot_log_cost")
    if postgres:
        progress("PostgreSQL")
        rows.append(measure("PostgreSQL", postgres, fake, args.batches, args.size))
    fake.stop()
    print(f"\nOne /log in-process, median of {args.batches} batches of {args.size}; times in ms")
    print("| engine | statements | okrbot CPU/request | PostgreSQL CPU/request | wall/request |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
