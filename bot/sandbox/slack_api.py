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
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.blockkit_rules import message_problems, view_problems

MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
VIEW_METHODS = ("views.open", "views.publish", "views.update", "views.push")


@dataclass
class Call:
    """One request the fake received."""

    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    received: float = field(default_factory=time.perf_counter)
    answered: dict[str, Any] = field(default_factory=dict)  # what the fake answered

    @property
    def method(self) -> str:
        """The Web API method (`chat.postMessage`), `response_url`, or `upload` for file bytes."""
        if self.path.startswith("/response/"):
            return "response_url"
        if self.path.startswith("/upload/"):
            return "upload"
        return self.path.removeprefix("/api/")


@dataclass
class Failure:
    status: int
    retry_after: int | None = None


@dataclass
class FakeSlack:
    """The fake's state, shared with its request handler threads."""

    team_id: str = "T0001"
    timezones: dict[str, str] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
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
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Listen on a free loopback port."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
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
            self.views.clear()
            self.history.clear()
            self.lost_answers.clear()
            for gate in self.held_users.values():
                gate.set()
            self.held_users.clear()
            self.ephemeral_error = None

    def show_ack(self, message: dict[str, Any]) -> None:
        """A slash command answered in its acknowledgement: Slack shows the body to the user as
        it shows a response_url message, so it is kept as one (path /response/ack)."""
        with self.condition:
            self.calls.append(Call("/response/ack", message, {}))
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
        refused = self.refusal(call)
        if refused is not None:
            return refused
        method = call.method
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.team_id,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team": "Test",
            }
        if method == "users.info":
            user = call.params.get("user", "")
            gate = self.held_users.get(user)
            if gate is not None:
                gate.wait(timeout=10)  # a slow Slack, until the test lets it answer
            name = self.names.get(user, f"Person {user[-4:]}")
            profile = {
                "id": user,
                "name": name.lower().replace(" ", "."),
                "real_name": name,
                "tz": self.timezones.get(user, "America/New_York"),
                "profile": {"real_name": name, "display_name": name},
            }
            return {"ok": True, "user": {**profile, "is_admin": user in self.admins}}
        if method == "chat.postEphemeral":
            if self.ephemeral_error:
                return {"ok": False, "error": self.ephemeral_error}
            return {"ok": True, "message_ts": f"{next(self._ts)}.000100"}
        if method == "chat.postMessage":
            metadata = call.params.get("metadata")
            if metadata is not None and not (
                isinstance(metadata, dict)
                and isinstance(metadata.get("event_type"), str)
                and isinstance(metadata.get("event_payload"), dict)
            ):
                return {"ok": False, "error": "invalid_metadata_format"}
            channel = str(call.params.get("channel"))
            if channel.startswith("U"):  # a DM posted to a user id lands in their IM channel
                channel = "D" + channel[1:]
            ts = f"{int(self.now())}.{next(self._ts):06d}"  # unique, and Slack-shaped
            stored = {"type": "message", "ts": ts, "text": call.params.get("text", "")}
            if metadata is not None:
                stored["metadata"] = metadata
            with self.condition:
                self.history.setdefault(channel, []).append(stored)
            return {"ok": True, "channel": channel, "ts": ts}
        if method == "conversations.history":
            return self._history(call.params)
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(call.params.get("users", ""))[1:]}}
        if method == "files.getUploadURLExternal":
            number = next(self._ts)
            return {
                "ok": True,
                "upload_url": f"{self.url}/upload/{number}",
                "file_id": f"F{number}",
            }
        if method == "files.completeUploadExternal":
            files = call.params.get("files")
            if isinstance(files, str):
                files = json.loads(files)
            ids = [str(f.get("id")) for f in files or [] if isinstance(f, dict)] or ["F1"]
            return {"ok": True, "files": [{"id": file_id, "title": "chart"} for file_id in ids]}
        if method in VIEW_METHODS:
            view = dict(call.params.get("view") or {})
            view_id = str(call.params.get("view_id") or f"V{next(self._ts)}")
            view["id"] = view_id
            with self.condition:
                self.views.pop(view_id, None)
                self.views[view_id] = view
            return {"ok": True, "view": view}
        return {"ok": True}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Messages in a channel, newest first; metadata only with include_all_metadata."""
        channel = str(params.get("channel") or "")
        oldest = float(params.get("oldest") or 0)
        with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
        with self.condition:
            messages = list(self.history.get(channel, []))
        found = []
        for message in reversed(messages):
            if float(message["ts"]) < oldest:
                continue
            shown = dict(message)
            if not with_metadata:
                shown.pop("metadata", None)
            found.append(shown)
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        page = found[start : start + limit]
        more = start + limit < len(found)
        answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
        if more:
            answer["response_metadata"] = {"next_cursor": str(start + limit)}
        return answer


def _parse(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {"body": parsed}
    params: dict[str, Any] = dict(parse_qsl(body.decode()))
    for name in ("blocks", "view"):
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    return params


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """Web API methods slack_sdk calls with GET (conversations.history)."""
            path, _, query = self.path.partition("?")
            self._answer(Call(path, dict(parse_qsl(query)), dict(self.headers)))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.startswith("/upload/"):
                params: dict[str, Any] = {"size": len(body), "png": body.startswith(b"\x89PNG")}
                with fake.condition:
                    fake.files["F" + self.path.rsplit("/", 1)[1]] = body
            else:
                params = _parse(body, self.headers.get("Content-Type", ""))
            self._answer(Call(self.path, params, dict(self.headers)))

        def _answer(self, call: Call) -> None:
            if fake.latency:
                time.sleep(fake.latency)  # a simulated network round trip, not a wait for events
            failure = fake.record(call)
            if failure is not None:
                self.send_response(failure.status)
                if failure.retry_after is not None:
                    self.send_header("Retry-After", str(failure.retry_after))
                payload = json.dumps(
                    {"ok": False, "error": "ratelimited" if failure.status == 429 else "fatal"}
                )
            else:
                answer = fake.answer(call)
                call.answered = answer
                with fake.condition:
                    lose = fake.lost_answers.get(call.method, 0) > 0
                    if lose:
                        fake.lost_answers[call.method] -= 1
                if lose:  # done, but the answer never arrives
                    self.send_response(500)
                    payload = json.dumps({"ok": False, "error": "fatal"})
                elif call.method == "response_url" and answer.get("ok") is False:
                    self.send_response(400)  # Slack refuses a bad response_url body this way
                    payload = json.dumps(answer)
                else:
                    self.send_response(200)
                    plain = call.method in ("response_url", "upload")
                    payload = "ok" if plain else json.dumps(answer)
            encoded = payload.encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
