"""`python -m benchmarks.soak`: the memory of `okrbot serve` over 100,000 `/log` requests.

Starts okrbot as it is deployed on PostgreSQL (WEB_CONCURRENCY processes, scheduler
included) on a fresh database, brings every member in, then sends signed `/log` requests
from a fixed number of concurrent clients and reads each process's RSS and PSS from /proc
after the start, after the warm-up, and every 10,000 requests. With `--sqlite`, the one
process okrbot runs on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Iterator

from benchmarks.servers import (
    MEMBERS,
    fresh_postgres,
    memory_mb,
    one_log,
    percentile,
    progress,
    start_server,
)
from bot.sandbox.slack_api import FakeSlack

Sample = tuple[str, list[tuple[int, float, float]]]


async def send(port: int, fake: FakeSlack, numbers: range, clients: int) -> tuple[int, list[float]]:
    """Send `/log` for every number in `numbers` from `clients` concurrent clients; the
    errors and the answer times in ms."""
    queue: Iterator[int] = iter(numbers)
    times: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        for number in queue:
            try:
                times.append(await asyncio.wait_for(one_log(port, number, fake, True), 10))
            except (OSError, RuntimeError, TimeoutError):
                errors += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return errors, times


def soak(url: str, processes: int, requests: int, clients: int, every: int) -> list[Sample]:
    fake = FakeSlack(latency=0.15).start()
    process, port = start_server("okrbot", url, fake, processes)
    samples: list[Sample] = []
    try:
        time.sleep(2)  # let every worker finish starting
        samples.append(("started", memory_mb(process.pid)))
        asyncio.run(send(port, fake, range(MEMBERS), 4))
        samples.append(("warmed up", memory_mb(process.pid)))
        done, errors, started = 0, 0, time.perf_counter()
        while done < requests:
            batch = range(MEMBERS + done, MEMBERS + done + min(every, requests - done))
            failed, times = asyncio.run(send(port, fake, batch, clients))
            done, errors = done + len(batch), errors + failed
            samples.append((f"{done:,} requests", memory_mb(process.pid)))
            progress(
                f"{done:,} requests, {done / (time.perf_counter() - started):.0f}/s, "
                f"p99 {percentile(times, 0.99):.1f} ms, {errors} errors, "
                f"PSS {sum(p for _pid, _rss, p in samples[-1][1]):.0f} MB"
            )
    finally:
        process.terminate()
        process.wait(timeout=60)
        fake.stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="server processes (PostgreSQL)"
    )
    parser.add_argument("--every", type=int, default=10_000, help="requests between readings")
    parser.add_argument("--sqlite", action="store_true", help="serve SQLite (one process)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/soak.db" if args.sqlite else fresh_postgres("okrbot_soak")
        if url is None:
            raise SystemExit(2)
        processes = 1 if args.sqlite else args.processes
        progress(f"okrbot serve, {processes} process(es), {args.requests:,} /log requests")
        samples = soak(url, processes, args.requests, args.clients, args.every)
    report(samples, "SQLite" if args.sqlite else "PostgreSQL")


def report(samples: list[Sample], engine: str) -> None:
    """The table recorded in docs/benchmarks.md: the parent first, then each worker."""
    count = len(samples[0][1])
    heads = ["parent"] + [f"worker {n}" for n in range(1, count)] if count > 1 else ["server"]
    print(f"\nokrbot serve on {engine}: memory in MB (RSS per process; PSS summed)")
    print("| after | " + " | ".join(f"{h} RSS" for h in heads) + " | PSS, all |")
    print("|---|" + "---|" * (count + 1))
    for label, rows in samples:
        rss = " | ".join(f"{r:.0f}" for _pid, r, _p in rows)
        print(f"| {label} | {rss} | {sum(p for _pid, _r, p in rows):.0f} |")
    (since, first), last = samples[min(2, len(samples) - 1)], samples[-1][1]
    growth = sum(p for *_x, p in last) - sum(p for *_x, p in first)
    print(f"PSS growth from {since} to the end: {growth:+.1f} MB")


if __name__ == "__main__":
    main()
