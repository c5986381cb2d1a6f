"""Every way a `/log` can be stored gives the same result, on every engine: the quick
statement (PostgreSQL), the lock-and-insert with the cached setup, and the transaction with
the current setup. Each effect a log may set off (bot.domain.log_effects) is run through
every way: a way that does not perform it hands the log to one that does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.domain.log_effects import LogEffect
from bot.playbook import parse_playbook
from bot.services import Services
from bot.services.activities import service as activities_module
from bot.services.activities.log_results import LogResult
from bot.webhook_transport import WebhookPoster
from storage.activities import log_at_once
from storage.models import DailyPoints, KeyResult, LedgerEntry, MonthlyPoints, WebhookDelivery
from tests.conftest import START, FakeClock

PLAYBOOK = """
workspace: T0001
timezone: America/New_York
cycles:
  - {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
activities:
  - {key: call, name: Call, points: 1}
  - {key: demo, name: Demo, points: 5, counts: K2}
  - {key: email, name: Email, points: 2, daily_cap: 3}
teams:
  - name: Sales East
    channel: C0SALESEAST
    managers: [U0MANAGER]
    members: [U0REP1, U0REP2, U0REP3]
objectives:
  - ref: O1
    title: Win the East coast
    level: team
    team: Sales East
    key_results:
      - {ref: K2, title: Book 40 demos, type: increase_to, start: 0, target: 40, unit: demos, owner: U0REP2, points: 50}
"""

PATHS = ("one statement", "cached setup", "current setup")


@dataclass
class Path:
    name: str
    statements: list[int]  # ids the quick statement stored


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, db: Engine, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The way a /log is first tried: the quicker ways are turned off for the others."""
    name = str(request.param)
    if name == "one statement" and db.dialect.name != "postgresql":
        pytest.skip("the one-statement /log is PostgreSQL's")
    if name != "one statement":
        monkeypatch.setattr(activities_module, "store_at_once", lambda *_a, **_k: (None, False))
    if name == "current setup":
        monkeypatch.setattr(activities_module, "store_with_cached_setup", lambda *_a, **_k: None)
    stored: list[int] = []
    quick = log_at_once.log_at_once

    def spied(*args: Any, **kwargs: Any) -> Any:
        found = quick(*args, **kwargs)
        if found[1] is not None:
            stored.append(found[1])
        return found

    monkeypatch.setattr(log_at_once, "log_at_once", spied)
    return Path(name, stored)


@pytest.fixture
def services(db: Engine, clock: FakeClock) -> Services:
    services = build_services(db, clock, webhooks=WebhookPoster(allow_private=True))
    services.setup.import_playbook(parse_playbook(PLAYBOOK))
    services.activities.log_text("T0001", "U0REP2", "call")  # this process caches the setup
    return services


def rows(db: Engine, model: Any, **where: Any) -> list[dict[str, Any]]:
    table = model.__table__
    query = select(table).where(*(table.c[name] == value for name, value in where.items()))
    with db.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def one_log(services: Services, text: str) -> LogResult:
    return services.activities.log_text("T0001", "U0REP1", text, request_key=f"key:{text}")


def test_a_log_is_stored_the_same_whichever_way(path: Path, services: Services, db: Engine) -> None:
    result = one_log(services, "call 3 with Acme")
    assert (result.points, result.today_points, result.week_points) == (3, 3, 3)
    assert result.note == "with Acme"
    assert result.rank is not None
    assert result.rank.rank == 1
    assert path.statements == ([result.log_id] if path.name == "one statement" else [])

    (line,) = rows(db, LedgerEntry, user_id="U0REP1")
    assert (line["points"], line["category"], line["reason"]) == (3, "activity", "activity")
    assert line["reference"] == str(result.log_id)
    assert line["occurred_at"] == line["recorded_at"] == START
    (day,) = rows(db, DailyPoints, user_id="U0REP1")
    assert (day["day"].isoformat(), day["activity_points"], day["result_points"]) == (
        "2026-11-18",
        3,
        0,
    )
    assert day["activities"] == 1
    (month,) = rows(db, MonthlyPoints, user_id="U0REP1")
    assert (month["month"].isoformat(), month["activity_points"]) == ("2026-11-01", 3)
    # The reply's figures are those a later reading gives.
    later = services.standings.points("T0001", "U0REP1")
    assert later.week.total == result.week_points


def webhook_subscribed(services: Services) -> None:
    services.webhooks.subscribe("T0001", "https://127.0.0.1:9/hook", ["activity.logged"])


# Each effect: how a workspace gets it, the log that has it, and what the log must do.
Check = Callable[[LogResult, Engine], None]


def counted(result: LogResult, db: Engine) -> None:
    assert [(kr.ref, kr.current) for kr in result.moved] == [("K2", 2.0)]
    (k2,) = rows(db, KeyResult, ref="K2")
    assert k2["current_value"] == 2.0


def capped(result: LogResult, db: Engine) -> None:
    assert (result.points, result.units_over_cap, result.daily_cap) == (6, 2, 3)
    (line,) = rows(db, LedgerEntry, user_id="U0REP1")
    assert line["points"] == 6


def watched(result: LogResult, db: Engine) -> None:
    mine = [d for d in rows(db, WebhookDelivery) if d["payload"]["data"]["id"] == result.log_id]
    assert [delivery["event_type"] for delivery in mine] == ["activity.logged"]


EFFECTS: dict[LogEffect, tuple[Callable[[Services], None] | None, str, Check]] = {
    LogEffect.KEY_RESULTS: (None, "demo 2", counted),
    LogEffect.DAILY_CAP: (None, "email 5", capped),
    LogEffect.WEBHOOK: (webhook_subscribed, "call", watched),
}


def test_every_effect_has_a_case_here() -> None:
    assert set(EFFECTS) == set(LogEffect)


@pytest.mark.parametrize("effect", list(LogEffect), ids=lambda effect: effect.name)
def test_every_effect_is_performed_whichever_way_the_log_is_first_tried(
    effect: LogEffect, path: Path, services: Services, db: Engine
) -> None:
    prepare, text, check = EFFECTS[effect]
    if prepare is not None:
        prepare(services)
        services.activities.log_text("T0001", "U0REP2", "call")  # the new setup is cached
    result = one_log(services, text)
    check(result, db)
    if effect not in log_at_once.PERFORMS:
        assert path.statements == []  # handed to a way that performs it
