"""`python -m benchmarks.ramp`: signed `/log` at 50, 100, 200, 400 and 800 requests a second,
against okrbot on SQLite and on PostgreSQL and a bare Bolt app that only acks, served the
same way (waitress, WEB_CONCURRENCY processes). 200 members in 10 teams, set up from a
playbook before the first request. Three rounds, each on fresh servers and a fresh
database; the table gives the median of the three with the spread.

At each step: ack p50 and p99 (okrbot's reply is in its ack, so reply = ack), errors
(anything but a 200 with the reply within 10 s), and the CPU the server's processes used per
request, read from /proc, so the CPU asked of okrbot can be set against the bare app's; beside
it, the CPU per request of every PostgreSQL process and of this process (the load generator,
and the fake Slack it hosts), which share the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field

from benchmarks.servers import (
    MEMBERS,
    cpu_seconds,
    fresh_postgres,
    machine_busy,
    one_log,
    percentile,
    postgres_cpu_seconds,
    progress,
    seed_teams,
    start_server,
)
from bot.sandbox.slack_api import FakeSlack

STEPS = (50, 100, 200, 400, 800)
TIMEOUT = 10.0  # seconds; a slower answer counts as an error, as Slack gives up after 3


@dataclass
class Step:
    rate: int
    ack_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_ms: float = 0.0  # server CPU per request
    postgres_ms: float = 0.0  # PostgreSQL's CPU per request
    load_ms: float = 0.0  # this load generator's CPU per request
    machine: float = 0.0  # share of the machine's CPUs busy during the step

    @property
    def p50(self) -> float:
        return percentile(self.ack_ms, 0.5)

    @property
    def p99(self) -> float:
        return percentile(self.ack_ms, 0.99)

    @property
    def achieved(self) -> float:
        return len(self.ack_ms) / self.seconds if self.seconds else 0.0


async def load(
    port: int, fake: FakeSlack, rate: int, seconds: float, first: int, expect_reply: bool
) -> Step:
    """Open-loop load: request i starts at i / rate seconds, whether or not earlier ones
    have been answered."""
    step = Step(rate)

    async def timed(number: int) -> None:
        try:
            step.ack_ms.append(
                await asyncio.wait_for(one_log(port, number, fake, expect_reply), TIMEOUT)
            )
        except (OSError, RuntimeError, TimeoutError):
            step.errors += 1

    tasks = []
    begin = time.perf_counter()
    for index in range(int(rate * seconds)):
        delay = begin + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(first + index)))
    await asyncio.gather(*tasks)
    step.seconds = time.perf_counter() - begin
    return step


def ramp(
    kind: str, url: str, fake: FakeSlack, processes: int, seconds: float, teams: int
) -> list[Step]:
    """One round: a fresh server, a warm-up that brings every member in, then each step."""
    if kind == "okrbot":
        seed_teams(url, teams)
    process, port = start_server(kind, url, fake, processes)
    okrbot = kind == "okrbot"
    steps = []
    try:
        asyncio.run(load(port, fake, 50, MEMBERS / 50, 0, okrbot))  # warm-up, not reported
        first = MEMBERS
        for rate in STEPS:
            cpu, (busy, total) = cpu_seconds(process.pid), machine_busy()
            postgres, generator = postgres_cpu_seconds(), time.process_time()
            step = asyncio.run(load(port, fake, rate, seconds, first, okrbot))
            answers = max(len(step.ack_ms), 1)
            step.cpu_ms = (cpu_seconds(process.pid) - cpu) * 1000 / answers
            step.postgres_ms = (postgres_cpu_seconds() - postgres) * 1000 / answers
            step.load_ms = (time.process_time() - generator) * 1000 / answers
            busy_after, total_after = machine_busy()
            step.machine = (busy_after - busy) / max(total_after - total, 1e-9)
            first += int(rate * seconds)
            steps.append(step)
            progress(
                f"   {rate}/s: ack p99 {step.p99:.1f} ms, {step.errors} errors, "
                f"{step.cpu_ms:.2f} ms CPU a request"
            )
            time.sleep(1)  # let the last step's stragglers finish before counting CPU again
    finally:
        process.terminate()
        process.wait(timeout=60)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes for PostgreSQL and the bare app (default: the core count)",
    )
    parser.add_argument(
        "--teams",
        type=int,
        default=10,
        help=f"teams the {MEMBERS} members are in (default 10; 0: none, so each /log ranks "
        "its sender among the whole workspace)",
    )
    args = parser.parse_args()
    fake = FakeSlack(latency=0.15).start()
    servers: list[tuple[str, str, int]] = [("bare Bolt, ack only", "bare", args.processes)]
    results: dict[str, list[list[Step]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            targets = [*servers, ("okrbot, SQLite", "okrbot", 1)]
            postgres = fresh_postgres("okrbot_ramp")
            if postgres:
                targets.append(("okrbot, PostgreSQL", "okrbot", args.processes))
            for name, kind, processes in targets:
                sqlite = f"sqlite:///{folder}/round{round_}.db"
                url = postgres if postgres and "PostgreSQL" in name else sqlite
                progress(f"{name}, {processes} process(es), round {round_ + 1} of {args.rounds}")
                results.setdefault(f"{name} ({processes} proc.)", []).append(
                    ramp(kind, url, fake, processes, args.seconds, args.teams)
                )
    fake.stop()
    report(results, args)


def report(results: dict[str, list[list[Step]]], args: argparse.Namespace) -> None:
    print(
        f"\nsigned /log, open loop, {args.seconds:.0f} s a step, {MEMBERS} members in "
        f"{args.teams} teams, "
        f"median of {args.rounds} rounds (spread of ack p99 in brackets); times in ms"
    )
    print(
        "| server | offered/s | achieved/s | ack p50 | ack p99 | errors | CPU/request "
        "| PostgreSQL CPU/request | load generator CPU/request | machine busy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    cpu_at: dict[str, dict[int, float]] = {}
    for name, rounds in results.items():
        for index, rate in enumerate(STEPS):
            steps = [r[index] for r in rounds]

            def median(values: list[float]) -> float:
                return statistics.median(values)

            p99s = [s.p99 for s in steps]
            cpu_at.setdefault(name, {})[rate] = median([s.cpu_ms for s in steps])
            print(
                f"| {name} | {rate} | {median([s.achieved for s in steps]):.0f} "
                f"| {median([s.p50 for s in steps]):.1f} "
                f"| {median(p99s):.1f} ({min(p99s):.1f}–{max(p99s):.1f}) "
                f"| {median([float(s.errors) for s in steps]):.0f} "
                f"| {cpu_at[name][rate]:.2f} | {median([s.postgres_ms for s in steps]):.2f} "
                f"| {median([s.load_ms for s in steps]):.2f} "
                f"| {median([s.machine for s in steps]) * 100:.0f}% |"
            )
    bare = next(iter(cpu_at.values()))
    for name, cpu in list(cpu_at.items())[1:]:
        ratios = ", ".join(f"{rate}/s {cpu[rate] / bare[rate]:.1f}×" for rate in STEPS)
        print(f"{name}: CPU per request against the bare app's: {ratios}")
    for name, rounds in results.items():
        best = [
            max((s.rate for s in steps if s.p99 < 100 and s.errors == 0), default=0)
            for steps in rounds
        ]
        print(f"{name}: highest step with ack p99 < 100 ms and 0 errors, per round: {best}")


if __name__ == "__main__":
    main()
