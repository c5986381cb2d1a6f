"""`make bench`: signed /log requests at a steady rate against okrbot and a bare Bolt app,
then SIGTERM under load.

Each server runs in its own process (okrbot through its real `okrbot serve`); this process
sends the requests and hosts the fake Slack API, which adds a round trip of 150 ms to every
call as real Slack would. okrbot answers /log in its acknowledgement, so the reply the person
sees arrives with the HTTP answer.
"""

from __future__ import annotations

import argparse
import http.client
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import text

from benchmarks.servers import fresh_postgres, log_body, signed_headers, start_server
from bot.sandbox.slack_api import FakeSlack
from storage.db import make_engine


@dataclass
class Result:
    name: str
    ack_ms: list[float]
    reply_ms: list[float]
    errors: int
    seconds: float

    def row(self) -> str:
        def pct(values: list[float], q: float) -> str:
            if not values:
                return "-"
            ordered = sorted(values)
            return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"

        rate = len(self.ack_ms) / self.seconds if self.seconds else 0.0
        return (
            f"| {self.name} | {len(self.ack_ms)} | {rate:.1f} | {pct(self.ack_ms, 0.5)} | {pct(self.ack_ms, 0.99)} "
            f"| {pct(self.reply_ms, 0.5)} | {pct(self.reply_ms, 0.99)} | {self.errors} |"
        )


def signed_log(port: int, number: int, fake: FakeSlack) -> tuple[float, bool]:
    """POST one signed `/log`; return when it started and whether the answer is the reply."""
    body = log_body(number, fake)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    connection.request("POST", "/slack/events", body=body.encode(), headers=signed_headers(body))
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"status {response.status}")
    return started, b"Logged" in answer


def drive(
    name: str, port: int, fake: FakeSlack, rate: float, seconds: float, expect_replies: bool
) -> Result:
    fake.reset()
    total = int(rate * seconds)
    sent: dict[int, float] = {}
    acks: list[float] = []
    in_ack: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(number: int) -> None:
        nonlocal errors
        try:
            started, answered = signed_log(port, number, fake)
        except Exception:
            with lock:
                errors += 1
            return
        finished = time.perf_counter()
        with lock:
            sent[number] = started
            acks.append((finished - started) * 1000)
            if answered:
                in_ack.append((finished - started) * 1000)

    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for number in range(total):
            delay = begin + number / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # open-loop pacing: a steady arrival rate
            pool.submit(one, number)
    elapsed = time.perf_counter() - begin
    replies: list[float] = list(in_ack)
    if expect_replies and len(in_ack) < len(sent):
        raise SystemExit(f"{name}: {len(sent) - len(in_ack)} acknowledgements had no reply")
    return Result(name, acks, replies, errors, elapsed)


def lost_at_sigterm(name: str, url: str, fake: FakeSlack, rate: float) -> tuple[int, int, int]:
    """Load a fresh server, SIGTERM it half way; (acknowledged, stored, acknowledged but lost)."""
    process, port = start_server("okrbot", url, fake)
    acked: set[int] = set()
    lock = threading.Lock()

    def one(number: int) -> None:
        try:
            _started, answered = signed_log(port, 100_000 + number, fake)
        except Exception:
            return  # refused: the sender sees an error and retries
        if answered:
            with lock:
                acked.add(100_000 + number)

    total = int(rate * 4)
    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for number in range(total):
            delay = begin + number / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if number == total // 2:
                process.send_signal(signal.SIGTERM)
            pool.submit(one, number)
    process.wait(timeout=60)
    engine = make_engine(url)
    with engine.connect() as connection:
        notes = connection.execute(
            text("SELECT note FROM activity_logs WHERE note LIKE 'benchmark %'")
        ).scalars()
        stored = {int(note.split()[1]) for note in notes if note.split()[1].isdigit()}
    engine.dispose()
    return len(acked), len(stored & acked), len(acked - stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="requests per second (default 100)"
    )
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="duration of each run (default 30)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.15, help="seconds the fake Slack adds (default 0.15)"
    )
    args = parser.parse_args()

    fake = FakeSlack(latency=args.latency).start()
    targets: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        targets.append(("bare Bolt, ack only (same runner as okrbot)", "bare", ""))
        targets.append(("bare Bolt, ack only (Bolt's default runner)", "bare-default", ""))
        targets.append(("okrbot, SQLite", "okrbot", f"sqlite:///{folder}/bench.db"))
        postgres = fresh_postgres("okrbot_bench")
        if postgres:
            targets.append(("okrbot, PostgreSQL", "okrbot", postgres))
        results = []
        terminated = []
        for name, kind, url in targets:
            print(
                f"-> {name}: {args.rate:.0f} req/s for {args.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            process, port = start_server(kind, url, fake)
            try:
                drive(name, port, fake, args.rate, 2, kind == "okrbot")  # warm-up, not reported
                results.append(drive(name, port, fake, args.rate, args.seconds, kind == "okrbot"))
            finally:
                process.terminate()
                process.wait(timeout=30)
            if kind == "okrbot":
                print(f"-> {name}: SIGTERM under load", file=sys.stderr, flush=True)
                terminated.append((name, *lost_at_sigterm(name, url, fake, args.rate)))
    fake.stop()

    report(args, results, terminated)


def report(
    args: argparse.Namespace,
    results: list[Result],
    terminated: list[tuple[str, int, int, int]],
) -> None:
    """Print the runs as the tables recorded in docs/benchmarks.md."""
    print(
        f"\nsigned /log at {args.rate:.0f} req/s for {args.seconds:.0f} s, 200 members, fresh database,"
        f" {args.latency * 1000:.0f} ms added to every Slack call"
    )
    print("ack = HTTP answer to Slack; reply = when the person sees the reply (ms)\n")
    print("| server | requests | req/s | ack p50 | ack p99 | reply p50 | reply p99 | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    bare = results[0]
    for result in results[2:]:
        ratio = (
            statistics.quantiles(result.ack_ms, n=100)[98]
            / statistics.quantiles(bare.ack_ms, n=100)[98]
        )
        print(f"{result.name}: ack p99 is {ratio:.2f}x the bare Bolt app's (same runner)")
    print("\n| server | SIGTERM half way through 4 s of load: acknowledged | stored | lost |")
    print("|---|---|---|---|")
    for name, acked, stored, lost in terminated:
        print(f"| {name} | {acked} | {stored} | {lost} |")


if __name__ == "__main__":
    main()
