"""Fixtures: both database engines, a fake Slack, a running okrbot, and a settable clock."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.app import Runtime, build_runtime, build_services
from bot.sandbox.background import serve_in_background
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from bot.services import Services
from bot.settings import Settings
from bot.slack_directory import SlackProfiles
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base
from tests import throwaway_pg
from tests.helpers import NEIGHBOUR, rows_of, seed_neighbour

SIGNING_SECRET = "test-signing-secret"
# Wednesday 18 November 2026, 10:00 in New York.
START = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
# PostgreSQL: the server TEST_DATABASE_URL names, else a throwaway cluster when PostgreSQL's
# server programs are installed (tests.throwaway_pg); only with neither are its tests skipped.
PG_GIVEN = os.environ.get("TEST_DATABASE_URL", "")
PG_URL = PG_GIVEN or throwaway_pg.start() or ""
NO_POSTGRES = f"PostgreSQL not available: {throwaway_pg.WHY_NOT}"


class FakeClock:
    """A clock the tests set and move by hand."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        assert moment.tzinfo is not None
        self._now = moment

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def pytest_report_header() -> str:
    if PG_GIVEN:
        return f"databases: SQLite and PostgreSQL ({PG_URL})"
    if PG_URL:
        return f"databases: SQLite and a throwaway PostgreSQL cluster ({PG_URL})"
    return f"databases: SQLite only ({throwaway_pg.WHY_NOT})"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say, last and loudly, when the PostgreSQL half of the suite did not run."""
    if PG_URL:
        return
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "PostgreSQL not available" in str(getattr(report, "longrepr", ""))
    ]
    terminalreporter.write_line(
        f"POSTGRESQL NOT AVAILABLE: {len(skipped)} POSTGRESQL TESTS WERE SKIPPED. Install "
        "PostgreSQL's server (apt-get install postgresql) or set TEST_DATABASE_URL.",
        red=True,
        bold=True,
    )


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database, once per engine kind for the whole run."""
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip(NO_POSTGRES)
        engine = make_engine(PG_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'okrbot.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


INSTALLATION_TABLES = ("slack_bots", "slack_installations", "slack_oauth_states")


def wipe(engine: Engine) -> None:
    """Delete every row, children first, and every installation."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        for name in INSTALLATION_TABLES:
            connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def fake_slack(clock: FakeClock) -> Iterator[FakeSlack]:
    fake = FakeSlack(now=lambda: clock.now().timestamp()).start()
    yield fake
    fake.stop()


@dataclass
class Server:
    runtime: Runtime
    url: str


@pytest.fixture(scope="session")
def server(engine: Engine, clock: FakeClock, fake_slack: FakeSlack) -> Iterator[Server]:
    """The real okrbot WSGI app, served by waitress on a free loopback port."""
    settings = Settings(
        database_url=str(engine.url),
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.api_url,
        webhooks_allow_private=True,  # the tests' webhook receivers listen on loopback
    )
    runtime = build_runtime(settings, clock=clock, engine=engine)
    served = serve_in_background(runtime.wsgi, threads=4)
    yield Server(runtime, served.url)
    served.stop()


SETTING_NAMES = (
    "SLACK_BOT_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "PORT",
    "LOG_LEVEL",
    "SCHEDULER_GRACE_HOURS",
    "DATABASE_TIMEOUT",
    "SHUTDOWN_GRACE",
    "WEBHOOKS_ALLOW_PRIVATE",
)


@pytest.fixture(autouse=True)
def no_developer_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's `.env` or okrbot settings from their shell: each runs
    in an empty directory with those variables unset (tests set what they need)."""
    monkeypatch.chdir(tmp_path)
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


class MovedFormErrors(logging.Handler):
    """Remembers form errors okrbot had to show on another field than the one they are about."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.moved: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.moved.append(record.getMessage())


@pytest.fixture(scope="session")
def moved_form_errors() -> Iterator[MovedFormErrors]:
    handler = MovedFormErrors()
    logging.getLogger("handlers.replies").addHandler(handler)
    yield handler
    logging.getLogger("handlers.replies").removeHandler(handler)


@pytest.fixture(autouse=True)
def strict_slack(
    request: pytest.FixtureRequest, fake_slack: FakeSlack, moved_form_errors: MovedFormErrors
) -> Iterator[None]:
    """Fail any test in which okrbot sent something real Slack would refuse, or answered a
    form with an error for a field the form does not have."""
    left = fake_slack.take_rejections()
    if left:  # sent late by the previous test's background work
        pytest.fail(f"Slack would refuse what okrbot sent after the previous test: {left}")
    moved_form_errors.moved.clear()
    yield
    if "server" in request.fixturenames:  # let the work behind its acknowledgements finish
        request.getfixturevalue("server").runtime.pool.wait_idle(timeout=10)
    refused = fake_slack.take_rejections()
    if refused:
        lines = [f"{call.method}: {'; '.join(problems)}" for call, problems in refused]
        pytest.fail("Slack would refuse what okrbot sent:\n" + "\n".join(lines))
    if moved_form_errors.moved:
        pytest.fail("form errors for fields the form lacks: " + "; ".join(moved_form_errors.moved))


@pytest.fixture
def db(engine: Engine, clock: FakeClock, fake_slack: FakeSlack) -> Engine:
    """A clean database and clock for one test."""
    wipe(engine)
    clock.set(START)
    fake_slack.reset()
    return engine


@pytest.fixture
def neighbour(db: Engine, clock: FakeClock) -> Iterator[str]:
    """A second workspace beside the test's, with the same member and channel ids and points
    of its own. The test must neither see its data nor change it."""
    seed_neighbour(db, clock)
    before = rows_of(db, NEIGHBOUR)
    yield NEIGHBOUR
    assert rows_of(db, NEIGHBOUR) == before, "the test changed another workspace's data"


@pytest.fixture
def services(db: Engine, clock: FakeClock) -> Services:
    """Services on the test database, without Slack."""
    return build_services(db, clock)


@pytest.fixture
def slack(db: Engine, server: Server, fake_slack: FakeSlack) -> SlackSender:
    """Sends signed requests to the running okrbot."""
    profiles = server.runtime.services.okrs.ctx.profiles
    if isinstance(profiles, SlackProfiles):
        profiles.forget()  # each test starts with what its fake Slack says
    server.runtime.services.okrs.ctx.known.clear()
    return SlackSender(
        base_url=server.url,
        secret=SIGNING_SECRET,
        response_url=fake_slack.response_url(),
        fake=fake_slack,
    )
