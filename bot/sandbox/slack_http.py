"""The fake Slack's HTTP side: Web API requests in, the fake's answers out."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from bot.sandbox.slack_calls import Call

if TYPE_CHECKING:
    from bot.sandbox.slack_api import FakeSlack


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


def handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """Web API methods slack_sdk calls with GET (conversations.history)."""
            path, _, query = self.path.partition("?")
            self._answer(Call(path=path, params=dict(parse_qsl(query)), headers=dict(self.headers)))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.startswith("/upload/"):
                params: dict[str, Any] = {"size": len(body), "png": body.startswith(b"\x89PNG")}
                with fake.condition:
                    fake.files["F" + self.path.rsplit("/", 1)[1]] = body
            else:
                params = _parse(body, self.headers.get("Content-Type", ""))
            self._answer(Call(path=self.path, params=params, headers=dict(self.headers)))

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
