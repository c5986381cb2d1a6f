"""A batch of activities is one transaction: all of it is kept or none, a key repeated within
it or across retries counts once, and batches that race over the same members both land."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.domain.errors import Busy, UserError
from bot.domain.parsing import LogRequest
from bot.services import Services
from bot.services.activities import activity_store
from bot.services.activities.activity_store import BatchItem
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, import_playbook, row_counts, rows_of


@pytest.fixture
def playbook(db: Engine, clock: FakeClock) -> None:
    import_playbook(db, clock)


def item(member: str, activity: str = "call", key: str | None = None) -> BatchItem:
    return BatchItem(member, LogRequest(activity, 1, ""), key)


def test_a_batch_that_fails_part_way_keeps_nothing(
    services: Services, db: Engine, playbook: None
) -> None:
    before = row_counts(db)
    batch = [item("U0REP1"), item("U0REP2"), item("U0REP1", "juggling")]
    with pytest.raises(UserError, match="juggling"):
        services.activities.log_batch("T0001", batch)
    assert row_counts(db) == before  # the first two are not kept either
    stored = services.activities.log_batch("T0001", batch[:2])
    assert [e.points for e in stored] == [1, 1]
    assert rows_of(db, "T0001")["activity_logs"] == 2


def test_a_key_repeated_within_a_batch_or_by_a_retry_counts_once(
    services: Services, db: Engine, playbook: None
) -> None:
    batch = [item("U0REP1", key="ext:crm:1"), item("U0REP1", key="ext:crm:1")]
    first = services.activities.log_batch("T0001", batch)
    assert first[0].id == first[1].id
    again = services.activities.log_batch("T0001", [*batch, item("U0REP2", key="ext:crm:2")])
    assert [e.id for e in again[:2]] == [first[0].id] * 2
    assert rows_of(db, "T0001")["activity_logs"] == 2
    assert services.api.points(_reader(services), "U0REP1").week.total == 1


@pytest.mark.parametrize("kept_before_giving_up", [False, True])
def test_a_batch_the_database_gave_up_is_retried_and_counted_once(
    services: Services,
    db: Engine,
    playbook: None,
    monkeypatch: pytest.MonkeyPatch,
    kept_before_giving_up: bool,
) -> None:
    real, attempts = activity_store._store_batch, []

    def gives_up_once(*args: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            if kept_before_giving_up:  # committed, then the connection dropped
                real(*args)
            raise Busy("deadlock detected")
        return real(*args)

    monkeypatch.setattr(activity_store, "_store_batch", gives_up_once)
    stored = services.activities.log_batch("T0001", [item("U0REP2", key="ext:crm:10")])
    assert len(attempts) == 2
    assert stored[0].user_id == "U0REP2"
    assert rows_of(db, "T0001")["activity_logs"] == 1


def test_batches_racing_over_the_same_members_in_opposite_orders_both_land(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)  # demos count toward a team key result
    members = ["U0REP1", "U0REP2", "U0REP3"]
    forward = [item(m, activity) for m in members * 10 for activity in ("demo", "call")]
    backward = list(reversed(forward))
    errors: list[BaseException] = []

    def run(batch: list[BatchItem]) -> None:
        try:
            services.activities.log_batch("T0001", batch)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(b,)) for b in (forward, backward) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert rows_of(db, "T0001")["activity_logs"] == 4 * 60


def _reader(services: Services) -> Any:
    token_id = services.api.create_token("T0001", "reader", ["points:read"])[1]
    return services.api.authenticate(token_id)
