"""A key-result type declared in the test suite alone works end to end: playbook, form menu,
check-in, `/okr`, result points and the team digest. Nothing outside its declaration changes."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from bot.domain.errors import UserError
from bot.domain.kr_types import REGISTRY, KRKind, Measure, Value, register
from bot.domain.schedule import Job
from bot.playbook import PlaybookError
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import SlackSender
from handlers.okrs import okr_forms
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts, texts
from tests.test_okr_e2e import achieved_points, reply
from tests.test_scheduler import FakeTime, make_services, utc


def _stars(raw: str, _milestones: int) -> Value:
    typed = raw.strip()
    if typed and set(typed) == {"★"}:
        return float(len(typed)), None
    if typed.isascii() and typed.isdigit():
        return float(typed), None
    raise UserError(f"Give stars like `★★★` or a number, not `{typed}`.", field="value")


def _stars_text(current: float | None, _start: float | None, target: float | None, _u: str) -> str:
    have, want = int(current or 0), int(target or 0)
    return "★" * have + "☆" * max(0, want - have)


STARS = KRKind(
    name="stars",
    label="Collect stars",
    progress=lambda m: (m.current or 0.0) / m.target if m.target else 0.0,
    span_problem=lambda _start, target: (
        None if target and target > 0 else "a number of stars is required"
    ),
    read_value=_stars,
    value_text=_stars_text,
    hint="stars, like ★★★",
)
PLAYBOOK = OKR_PLAYBOOK.replace(
    "      - {ref: K2,",
    "      - {ref: K9, title: Customer rating, type: stars, target: 5, owner: U0REP1, points: 10}\n"
    "      - {ref: K2,",
)


@pytest.fixture
def stars(monkeypatch: pytest.MonkeyPatch, db: Engine, clock: FakeClock) -> None:
    monkeypatch.setitem(REGISTRY, "stars", STARS)
    import_playbook(db, clock, PLAYBOOK)


@pytest.mark.usefixtures("stars")
def test_a_new_key_result_type_works_end_to_end(
    slack: SlackSender, fake_slack: FakeSlack, db: Engine, clock: FakeClock
) -> None:
    assert "Collect stars" in str(okr_forms.new_objective_modal(["Sales East"]))

    before = row_counts(db)
    slack.command("/checkin", "K9 lots 7", user="U0REP1")
    assert "Give stars like `★★★` or a number, not `lots`." in reply(fake_slack)["text"]
    assert row_counts(db) == before

    slack.command("/checkin", "K9 ★★★ 7 good reviews", user="U0REP1")
    reply(fake_slack, 2)
    slack.command("/okr", "K9", user="U0REP1")
    detail = texts(reply(fake_slack, 3))
    assert "★★★☆☆" in detail
    assert "60%" in detail
    assert achieved_points(db, "U0REP1") == 0

    slack.command("/checkin", "K9 ★★★★★ 9", user="U0REP1")
    reply(fake_slack, 4)
    assert achieved_points(db, "U0REP1") == 10  # reaching the target pays once

    services = make_services(db, clock, fake_slack, FakeTime())
    clock.set(utc(23, 14, 30))  # Monday 09:30 in New York: the team digest
    assert services.scheduler.run_job(Job.TEAM_DIGEST).sent == 1
    digest = fake_slack.wait_for("chat.postMessage")[0].params
    assert digest["channel"] == "C0SALESEAST"
    assert "`K9` Customer rating — " in texts(digest)
    assert "100%" in texts(digest)


def test_a_playbook_with_an_unknown_type_names_the_known_ones(db: Engine, clock: FakeClock) -> None:
    with pytest.raises(PlaybookError, match="stars") as refused:
        import_playbook(db, clock, PLAYBOOK)
    assert "increase_to" in str(refused.value)


def test_a_type_is_declared_once() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        register(REGISTRY["boolean"])
    assert Measure(kr_type="boolean", start=0, target=1, current=1.0).kr_type == "boolean"
