"""A strict local Slack Web API on loopback that records every call okrbot makes.

It answers the Web API methods okrbot uses, accepts posts to `response_url`s under
/response/..., keeps each conversation's history (with message metadata), and can be told
to answer the next call to a method with an error status. Like Slack, it refuses messages
and views that break Block Kit's rules (`invalid_blocks`, with the reasons in
`response_metadata.messages`); every refusal is also kept in `rejections`. The test suite
runs against it and fails any test that leaves a refusal behind.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from bot.sandbox.blockkit_rules import message_problems, view_problems
from bot.sandbox.slack_calls import Call, Failure
from bot.sandbox.slack_http import handler
from bot.sandbox.slack_methods import METHODS, VIEW_METHODS
from bot.sandbox.slack_oauth import FakeOAuth

MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")


@dataclass(kw_only=True)
class FakeSlack:
    """The fake's state, shared with its request handler threads."""

    team_id: str = "T0001"
    timezones: dict[str, str] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # email -> user id
    usergroups: dict[str, tuple[str, list[str]]] = field(
        default_factory=dict
    )  # id -> handle, users
    rejections: list[tuple[Call, list[str]]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages
    now: Callable[[], float] = time.time  # Slack's clock, for message timestamps
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded file id -> bytes
    held_users: dict[str, threading.Event] = field(default_factory=dict)  # users.info waits
    latency: float = 0.0  # seconds added to every answer, as a real round trip to Slack takes
    lost_answers: dict[str, int] = field(default_factory=dict)  # method -> answers to lose
    ephemeral_error: str | None = None
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    flaky: dict[str, tuple[int, Failure]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    condition: threading.Condition = field(default_factory=threading.Condition)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    oauth: FakeOAuth = field(default_factory=FakeOAuth)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Listen on a free loopback port."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        """Forget calls, failures and per-test settings."""
        with self.condition:
            self.calls.clear()
            self.failures.clear()
            self.flaky.clear()
            self.counts.clear()
            self.timezones.clear()
            self.admins.clear()
            self.names.clear()
            self.emails.clear()
            self.usergroups.clear()
            self.views.clear()
            self.history.clear()
            self.lost_answers.clear()
            for gate in self.held_users.values():
                gate.set()
            self.held_users.clear()
            self.ephemeral_error = None
        self.oauth.reset()

    def show_ack(self, message: dict[str, Any]) -> None:
        """A slash command answered in its acknowledgement: Slack shows the body to the user as
        it shows a response_url message, so it is kept as one (path /response/ack)."""
        with self.condition:
            self.calls.append(Call(path="/response/ack", params=message, headers={}))
            self.condition.notify_all()

    def take_rejections(self) -> list[tuple[Call, list[str]]]:
        """The refused calls so far, forgotten once read (for tests that expect a refusal)."""
        with self.condition:
            taken = list(self.rejections)
            self.rejections.clear()
            return taken

    def last_view(self, callback_id: str) -> dict[str, Any] | None:
        """The view most recently opened, pushed or updated with `callback_id`."""
        with self.condition:
            matching = [v for v in self.views.values() if v.get("callback_id") == callback_id]
            return matching[-1] if matching else None

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"{self.url}/response/{name}"

    def fail_every(
        self, method: str, every: int, status: int, retry_after: int | None = None
    ) -> None:
        """Answer every `every`-th call to `method` with `status`, for the rest of the test."""
        with self.condition:
            self.flaky[method] = (every, Failure(status, retry_after))

    def lose_answer(self, method: str, times: int = 1) -> None:
        """Do the next `times` calls to `method`, then answer 500 as if the reply was lost."""
        with self.condition:
            self.lost_answers[method] = self.lost_answers.get(method, 0) + times

    def fail_next(
        self, method: str, status: int, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` calls to `method` with `status` (429 with Retry-After)."""
        with self.condition:
            self.failures.setdefault(method, []).extend(
                Failure(status, retry_after) for _ in range(times)
            )

    # -- inspection ----------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self.condition:
            return [call for call in self.calls if call.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        where: Callable[[Call], bool] = lambda _c: True,
        timeout: float = 10,
    ) -> list[Call]:
        """Block until `count` matching calls to `method` arrived; fail the test otherwise."""

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and where(c)]

        with self.condition:
            if not self.condition.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} call(s) to {method}; the fake saw {seen}")
            return matching()

    # -- answers -------------------------------------------------------------------------
    def next_number(self) -> int:
        """A number never handed out before, for timestamps and ids."""
        with self.condition:
            return next(self._ts)

    def record(self, call: Call) -> Failure | None:
        with self.condition:
            pending = self.failures.get(call.method)
            failure = pending.pop(0) if pending else None
            self.counts[call.method] = self.counts.get(call.method, 0) + 1
            if failure is None and call.method in self.flaky:
                every, flaky = self.flaky[call.method]
                failure = flaky if self.counts[call.method] % every == 0 else None
            if failure is None:
                self.calls.append(call)
            self.condition.notify_all()
            return failure

    def refusal(self, call: Call) -> dict[str, Any] | None:
        """Slack's answer to a payload that breaks Block Kit's rules; None when it is fine."""
        if call.method in MESSAGE_METHODS:
            problems = message_problems(call.params)
        elif call.method in VIEW_METHODS:
            problems = view_problems(call.params.get("view"))
        else:
            return None
        if not problems:
            return None
        with self.condition:
            self.rejections.append((call, problems))
        error = "invalid_blocks" if any("/blocks" in p for p in problems) else "invalid_arguments"
        return {
            "ok": False,
            "error": error,
            "errors": problems,
            "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
        }

    def answer(self, call: Call) -> dict[str, Any]:
        """What Slack answers to `call`: a refusal, or the method's answer."""
        refused = self.oauth.refusal(call) or self.refusal(call)
        if refused is not None:
            return refused
        method = METHODS.get(call.method)
        return {"ok": True} if method is None else method(self, call)
