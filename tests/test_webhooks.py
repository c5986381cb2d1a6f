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

from bot.app import build_services
from bot.domain.errors import UserError
from bot.services import Services
from bot.services.okrs.checkins import CheckinRow
from bot.webhook_transport import RefusedUrl, WebhookPoster
from tests.conftest import FakeClock
from tests.helpers import OKR_PLAYBOOK, PLAYBOOK, import_playbook, row_counts


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
def services(db: Engine, clock: FakeClock) -> Services:
    """Services whose webhooks may reach this machine's receivers (WEBHOOKS_ALLOW_PRIVATE)."""
    return build_services(db, clock, webhooks=WebhookPoster(allow_private=True))


@pytest.fixture
def public_only(db: Engine, clock: FakeClock) -> Services:
    """Services as deployed: webhooks reach public addresses only."""
    return build_services(db, clock)


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
    services.okrs.check_in(
        "T0001", "U0REP1", [CheckinRow(ref="K1", value="20", confidence="9", note="all 20 closed")]
    )
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
    ["http://example.com/hooks", "http://h/a b", "http://localhost:abc/", "https://",
     "file:///etc/passwd", "ftp://example.com/x"],
)  # fmt: skip
def test_only_https_urls_can_be_subscribed(
    public_only: Services, db: Engine, clock: FakeClock, url: str
) -> None:
    import_playbook(db, clock)
    with pytest.raises(UserError, match="is not"):
        public_only.webhooks.subscribe("T0001", url, ["activity.logged"])


INWARD = [
    "https://10.0.0.1/hooks", "https://169.254.169.254/latest/meta-data", "https://[::1]/",
    "https://0x7f000001/", "https://2130706433/", "https://127.1/", "https://127.0.0.1:5432/",
    "https://[::ffff:127.0.0.1]/", "https://[fd00::1]/", "https://metadata.google.internal/",
    "http://127.0.0.1:5432/", "http://localhost:6379/", "https://localhost/", "https://0.0.0.0/",
    "https://192.168.1.10/", "https://172.16.0.5/", "https://[fe80::1]/", "https://224.0.0.1/",
    "https://100.64.0.1/",
]  # fmt: skip


@pytest.mark.parametrize("url", INWARD)
def test_webhooks_cannot_be_pointed_at_private_or_metadata_addresses(
    public_only: Services, db: Engine, clock: FakeClock, url: str
) -> None:
    import_playbook(db, clock)
    before = row_counts(db)
    with pytest.raises(UserError) as refused:
        public_only.webhooks.subscribe("T0001", url, ["activity.logged"])
    assert "okrbot never posts to" in refused.value.message or "https" in refused.value.message
    assert row_counts(db) == before


def test_a_name_that_resolves_to_loopback_is_refused_at_registration_and_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    answers = {"hooks.example.com": "93.184.216.34"}

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    poster = WebhookPoster()
    poster.check("https://hooks.example.com/in")  # public when registered
    answers["hooks.example.com"] = "127.0.0.1"  # then its DNS turns inward
    with pytest.raises(RefusedUrl, match=r"resolves to 127\.0\.0\.1"):
        poster("https://hooks.example.com/in", "whsec_" + "A" * 32, "msg_1", "{}")


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    services: Services, db: Engine, clock: FakeClock
) -> None:
    """A receiver answering 302 towards another local service: okrbot does not go there,
    and records the attempt as failed with its status."""
    import_playbook(db, clock)
    secret_seen: list[str] = []

    class Inner(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            secret_seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    inner = ThreadingHTTPServer(("127.0.0.1", 0), Inner)
    threading.Thread(target=inner.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{inner.server_address[1]}/internal/secret"

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    outer = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=outer.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{outer.server_address[1]}/hooks"
        services.webhooks.subscribe("T0001", url, ["activity.logged"])
        services.activities.log_text("T0001", "U0REP1", "call")
        report = services.webhooks.deliver_due()
        assert (report.sent, report.retrying) == (0, 1)
        [delivery] = deliveries(services)
        assert (delivery.last_status, delivery.last_error) == (302, "answered 302")
        assert secret_seen == []
    finally:
        inner.shutdown()
        outer.shutdown()
        inner.server_close()
        outer.server_close()


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
