"""`python -m benchmarks.hang`: `/log` while PostgreSQL hangs, accepting connections and
answering nothing, then comes back.

okrbot is served over HTTP on a database reached through a proxy (tests.blackhole) that can
hold everything either side sends. After a warm-up, `/log` arrives at 10 a second for 2 s
with the proxy flowing, then 28 more at 10 a second with it hung; the proxy then flows
again and delivers what it held. Printed: the answer times (median and max), what the
answers said, and how many logs were stored against how many answers said they were.
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.parse
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from benchmarks.servers import SECRET, fresh_postgres, log_body, progress, seed_teams
from bot.app import build_runtime
from bot.clock import SystemClock
from bot.sandbox.background import serve_in_background
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from bot.settings import Settings
from handlers.replies import NOT_SAVED
from storage.db import make_engine
from storage.models import ActivityLog
from tests.blackhole import BlackHole

RATE = 10  # a second
HUNG = 28


def main() -> None:
    url = fresh_postgres("okrbot_hang")
    if url is None:
        print("PostgreSQL is not available: nothing measured")
        return
    seed_teams(url, 10)
    fake = FakeSlack().start()
    real = make_url(url)
    hole = BlackHole((real.host or "127.0.0.1", real.port or 5432))
    proxied = hole.url(real.database or "postgres")
    settings = Settings(
        database_url=proxied,
        slack_bot_token="xoxb-bench",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )
    runtime = build_runtime(settings, clock=SystemClock(), engine=make_engine(proxied))
    served = serve_in_background(runtime.wsgi, threads=32)
    answers: list[tuple[str, float, bool]] = []  # what it said, seconds, sent while hung

    def send(number: int, hung: bool) -> None:
        sender = SlackSender(
            base_url=served.url, secret=SECRET, response_url=fake.response_url(), fake=fake
        )
        body = dict(urllib.parse.parse_qsl(log_body(number, fake)))
        started = time.monotonic()
        reply: Any = sender.command("/log", body["text"], user=body["user_id"], team="TBENCH")
        text = str(reply.json().get("text", "")) if reply.status == 200 else f"HTTP {reply.status}"
        answers.append((text, time.monotonic() - started, hung))

    def burst(first: int, count: int, hung: bool) -> list[threading.Thread]:
        threads = []
        for number in range(first, first + count):
            thread = threading.Thread(target=send, args=(number, hung))
            thread.start()
            threads.append(thread)
            time.sleep(1 / RATE)  # the arrival rate, not a synchronisation
        return threads

    progress("warming up")
    for thread in burst(0, 2 * RATE, False):
        thread.join()
    progress(f"hanging the database for {HUNG} /log")
    hole.hang()
    for thread in burst(1000, HUNG, True):
        thread.join()
    progress("the database comes back")
    hole.resume()
    runtime.pool.wait_idle(timeout=30)
    runtime.engine.dispose()
    hole.wait_quiet(timeout=60)
    with make_engine(url).connect() as connection:
        stored = connection.execute(select(func.count()).select_from(ActivityLog)).scalar_one()
    hung = [(text, seconds) for text, seconds, during in answers if during]
    saved_said = sum(1 for text, _s, _d in answers if text.startswith("Logged"))
    not_saved = sum(1 for text, _s in hung if text == NOT_SAVED)
    times = [seconds for _t, seconds in hung]
    print(f"while hung: {len(hung)} /log, {not_saved} answered '{NOT_SAVED[:40]}…'")
    print(f"  answer time median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    print(f"  other answers: {sorted({t[:60] for t, _s in hung if t != NOT_SAVED})}")
    print(f"stored {stored} logs; {saved_said} answers said a log was stored")
    served.stop()
    hole.close()
    fake.stop()


if __name__ == "__main__":
    main()
