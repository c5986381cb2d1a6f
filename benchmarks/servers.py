"""What the `/log` benchmarks share: servers started as they are deployed, signed requests,
percentiles, and the CPU and memory of a server's processes read from /proc."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text

from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import signature
from storage.db import make_engine

SECRET = "bench-signing-secret"
ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
PG_ADMIN_URL = f"{SERVER}/postgres"
MEMBERS = 200  # members sending /log, none in a team
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def progress(message: str) -> None:
    print(f"-> {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1) of `values`; nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fresh_postgres(name: str) -> str | None:
    """Create an empty database `name`; its URL, or None when PostgreSQL is not reachable."""
    try:
        admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except Exception as error:
        reason = str(error).splitlines()[0]
        print(f"PostgreSQL not available at {SERVER} ({reason}); skipping it", file=sys.stderr)
        return None
    return f"{SERVER}/{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start listening in time")


def start_server(
    kind: str, database_url: str, fake: FakeSlack, processes: int | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start okrbot (`okrbot serve`) or the bare Bolt app (`bare`, `bare-default`) with
    `processes` worker processes (default: as WEB_CONCURRENCY says); the process and its
    port, once it listens."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "ERROR",  # not a warning per queued request under overload
        "PYTHONPATH": str(ROOT),
    }
    if processes is not None:
        env["WEB_CONCURRENCY"] = str(processes)
    env.pop("SLACK_APP_TOKEN", None)
    env["BARE_RUNNER"] = "default" if kind == "bare-default" else "lazy"
    module = ["-m", "bot", "serve"] if kind == "okrbot" else ["-m", "benchmarks.bare_bolt"]
    process = subprocess.Popen([sys.executable, *module], env=env, cwd=ROOT)
    wait_until_listening(port, process)
    return process, port


def seed_teams(database_url: str, teams: int) -> None:
    """Put the MEMBERS members who send `/log` into `teams` teams of a playbook, as an admin
    would before the first `/log`; with 0 teams, leave the database empty, so every member
    arrives with their first `/log`, in no team."""
    if not teams:
        return
    from bot.app import build_services
    from bot.clock import SystemClock
    from bot.domain.playbook import STARTER_CATALOG
    from bot.playbook import parse_playbook
    from storage.migrate import upgrade

    lines = ["workspace: TBENCH", "timezone: America/New_York", "activities:"]
    lines += [f"  - {{key: {a.key}, name: {a.name}, points: {a.points}}}" for a in STARTER_CATALOG]
    lines.append("teams:")
    for team in range(teams):
        members = [f"UBENCH{n:03d}" for n in range(MEMBERS) if n % teams == team]
        lines += [f"  - name: Team {team + 1}", f"    members: [{', '.join(members)}]"]
    engine = make_engine(database_url)
    upgrade(engine)
    build_services(engine, SystemClock()).setup.import_playbook(parse_playbook("\n".join(lines)))
    engine.dispose()


def log_body(number: int, fake: FakeSlack) -> str:
    """The form Slack posts for `/log` number `number`, from one of MEMBERS members."""
    activity = random.choice(["call", "call 3", "demo", "proposal", "email 2"])
    return urlencode(
        {
            "team_id": "TBENCH",
            "channel_id": "CBENCH",
            "user_id": f"UBENCH{number % MEMBERS:03d}",
            "command": "/log",
            "text": f"{activity} benchmark {number}",
            "response_url": fake.response_url(str(number)),
            "trigger_id": f"{number}.bench",
        }
    )


def signed_headers(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SECRET, stamp, body),
    }


async def one_log(port: int, number: int, fake: FakeSlack, expect_reply: bool) -> float:
    """Send `/log` number `number` on a new connection; the milliseconds to its answer."""
    body = log_body(number, fake).encode()
    head = "".join(f"{name}: {value}\r\n" for name, value in signed_headers(body.decode()).items())
    request = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        answer = await reader.read()  # the server closes after the answer
    finally:
        writer.close()
    elapsed = (time.perf_counter() - started) * 1000
    if not answer.startswith(b"HTTP/1.1 200") or (expect_reply and b"Logged" not in answer):
        raise RuntimeError(answer[:80])
    return elapsed


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    tree, index = [pid], 0
    while index < len(tree):
        parent = tree[index]
        index += 1
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        tree.extend(int(child) for child in children)
    return tree


def _cpu_ticks(pid: int | str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def cpu_seconds(pid: int) -> float:
    """User and system CPU used so far by `pid` and the processes below it."""
    return sum(_cpu_ticks(member) for member in process_tree(pid)) / CLOCK_TICK


def postgres_cpu_seconds() -> float:
    """User and system CPU used so far by every PostgreSQL process on this machine (the
    server, its connections' backends and its background writers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += _cpu_ticks(entry.name)
        except OSError:
            continue
    return total / CLOCK_TICK


def memory_mb(pid: int) -> list[tuple[int, float, float]]:
    """(pid, RSS MB, PSS MB) of `pid` and every process below it; PSS splits the pages
    forked workers share with their parent, so the PSS column adds up."""
    rows = []
    for member in process_tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        fields = {line.split(":")[0]: line.split()[1] for line in rollup[1:] if ":" in line}
        rows.append((member, int(fields["Rss"]) / 1024, int(fields["Pss"]) / 1024))
    return rows


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICK, total / CLOCK_TICK
