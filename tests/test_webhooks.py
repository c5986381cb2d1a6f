"""Webhooks out: a workspace's events queued in the transaction that made them, delivered
signed as Standard Webhooks sign them, retried with backoff, every outcome recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.domain.errors import UserError
from bot.services import Services
from bot.services.checkins import CheckinRow
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, PLAYBOOK, import_playbook


@dataclass
class Receiver:
    """A webhook endpoint on loopback that answers with the statuses it is given, in turn."""

    answers: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], str]] = field(default_factory=list)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((headers, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), found.handler())
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield found
    server.shutdown()
    server.server_close()


def deliveries(services: Services, workspace: str = "T0001") -> list[Any]:
    with services.setup.ctx.uow() as uow:
        return uow.repo(workspace).deliveries()


def test_an_event_is_signed_retried_after_a_500_and_its_outcome_recorded(
    services: Services, db: Engine, clock: FakeClock, receiver: Receiver
) -> None:
    import_playbook(db, clock)
    _id, secret = services.webhooks.subscribe("T0001", receiver.url, ["activity.logged"])
    services.activities.log_text("T0001", "U0REP1", "call 3")
    receiver.answers = [500, 200]
    first = services.webhooks.deliver_due()
    assert (first.sent, first.retrying) == (0, 1)
    [queued] = deliveries(services)
    assert (queued.status, queued.last_status, queued.attempts) == ("pending", 500, 1)
    assert services.webhooks.deliver_due().sent == 0  # not due again for a minute
    clock.advance(seconds=61)
    assert services.webhooks.deliver_due().sent == 1
    [done] = deliveries(services)
    assert (done.status, done.last_status, done.attempts) == ("sent", 200, 2)
    (headers_1, _body_1), (headers_2, body_2) = receiver.received
    assert headers_1["webhook-id"] == headers_2["webhook-id"]  # one message, tried twice
    event = Webhook(secret).verify(body_2, headers_2)
    assert event["type"] == "activity.logged"
    assert (event["data"]["member"], event["data"]["activity"], event["data"]["points"]) == (
        "U0REP1",
        "call",
        3,
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body_2.replace('"points":3', '"points":300'), headers_2)


def test_only_subscribed_events_of_the_workspace_are_sent(
    services: Services, db: Engine, clock: FakeClock, receiver: Receiver
) -> None:
    import_playbook(db, clock)
    import_playbook(db, clock, PLAYBOOK.replace("workspace: T0001", "workspace: T0002"))
    services.webhooks.subscribe("T0002", receiver.url, ["activity.logged"])
    services.webhooks.subscribe("T0001", receiver.url, ["cycle.closed"])
    services.activities.log_text("T0001", "U0REP1", "call")
    assert deliveries(services, "T0001") == []
    assert deliveries(services, "T0002") == []


def test_an_unreachable_receiver_is_retried_with_backoff_then_given_up(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    services.webhooks.subscribe("T0001", "http://127.0.0.1:9/nobody", ["activity.logged"])
    services.activities.log_text("T0001", "U0REP1", "call")
    waits = [61, 301, 1801, 7201, 28801]
    assert services.webhooks.deliver_due().retrying == 1
    for seconds in waits[:-1]:
        clock.advance(seconds=seconds)
        assert services.webhooks.deliver_due().retrying == 1
    clock.advance(seconds=waits[-1])
    assert services.webhooks.deliver_due().failed == 1
    [given_up] = deliveries(services)
    assert (given_up.status, given_up.attempts) == ("failed", 6)
    assert given_up.last_error.startswith("unreachable")


def test_a_subscription_needs_a_url_and_known_events(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    import_playbook(db, clock)
    with pytest.raises(UserError, match="not an http"):
        services.webhooks.subscribe("T0001", "ftp://x", ["activity.logged"])
    with pytest.raises(UserError, match="Events must be some of"):
        services.webhooks.subscribe("T0001", "https://x.test/h", ["deal.won"])
    assert services.webhooks.subscriptions("T0001") == []


def test_check_ins_achievements_and_closed_cycles_are_events_too(
    services: Services, db: Engine, clock: FakeClock, receiver: Receiver
) -> None:
    import_playbook(db, clock, OKR_PLAYBOOK)
    events = ["checkin.created", "key_result.achieved", "cycle.closed"]
    services.webhooks.subscribe("T0001", receiver.url, events)
    services.okrs.check_in("T0001", "U0REP1", [CheckinRow("K1", "20", "9", "all 20 closed")])
    services.okrs.close_cycle("T0001", "2026-Q4", by_user=None, early=True)
    queued = [(d.event_type, d.payload["data"]) for d in deliveries(services)]
    assert [kind for kind, _ in queued] == events
    assert queued[0][1]["key_result"] == "K1"
    assert queued[1][1] == {
        "ref": "K1",
        "title": "Close 20 deals",
        "owner": "U0REP1",
        "points": 100,
    }
    assert queued[2][1]["cycle"] == "2026-Q4"
    assert services.webhooks.deliver_due().sent == 3


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks",
        "http://h/a b",
        "http://localhost:abc/",
        "https://",
        "file:///etc/passwd",
    ],
)
def test_only_https_urls_or_this_machine_can_be_subscribed(
    services: Services, db: Engine, clock: FakeClock, url: str
) -> None:
    import_playbook(db, clock)
    with pytest.raises(UserError, match="not an https URL"):
        services.webhooks.subscribe("T0001", url, ["activity.logged"])


def test_removing_a_subscription_stops_what_it_was_still_owed(
    services: Services, db: Engine, clock: FakeClock, receiver: Receiver
) -> None:
    import_playbook(db, clock)
    subscription, _secret = services.webhooks.subscribe("T0001", receiver.url, ["activity.logged"])
    services.activities.log_text("T0001", "U0REP1", "call")
    services.webhooks.unsubscribe("T0001", subscription)
    assert services.webhooks.deliver_due().sent == 0
    assert receiver.received == []
    [dropped] = deliveries(services)
    assert (dropped.status, dropped.last_error) == ("failed", "the subscription was removed")


def test_every_log_is_an_event_however_it_is_stored(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    """A /log from a process that cached the setup before the subscription, and the logs
    after it (a process that knows the subscription stores them in a transaction, with
    their event), each queue an event."""
    import_playbook(db, clock)
    services.activities.log_text("T0001", "U0REP1", "call")  # the setup is cached: no hooks
    services.webhooks.subscribe("T0001", "http://127.0.0.1:9/hooks", ["activity.logged"])
    logged = [services.activities.log_text("T0001", "U0REP1", text).log_id for text in
              ("call 2", "call 3", "proposal")]  # fmt: skip
    queued = [delivery.payload["data"]["id"] for delivery in deliveries(services)]
    assert queued == logged
