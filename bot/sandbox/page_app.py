"""The sandbox's web app: the page, what the page calls, and okrbot's own endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from bot.sandbox.screen import JOB_LABELS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from bot.sandbox.server import Sandbox

PAGE = Path(__file__).with_name("page.html")
API = "/api/v1"


def _json(start: StartResponse, payload: Any, status: str = "200 OK") -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def make_app(sandbox: Sandbox) -> WSGIApplication:
    """okrbot's own endpoints, plus the page and what it calls."""
    okrbot = sandbox.runtime.wsgi

    def application(environ: WSGIEnvironment, start: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in ("/slack/events", "/healthz") or path == API or path.startswith(API + "/"):
            return okrbot(environ, start)  # the API too, on the sandbox's own database
        if path == "/favicon.ico":
            start("204 No Content", [])
            return []
        if path == "/":
            page = PAGE.read_bytes()
            start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [page]
        if path.startswith("/sandbox/files/"):
            data = sandbox.slack.files.get(path.rsplit("/", 1)[1].removesuffix(".png"), b"")
            start("200 OK" if data else "404 Not Found", [("Content-Type", "image/png")])
            return [data]
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        if path == "/sandbox/setup":
            return _json(start, {"people": sandbox.people(), "channels": sandbox.channels(),
                                 "commands": sandbox.commands, "jobs": JOB_LABELS})  # fmt: skip
        if path == "/sandbox/state":
            return _json(start, sandbox.state(query.get("user", ""), query.get("conv", "")))
        if environ.get("REQUEST_METHOD") == "POST" and "application/json" not in str(
            environ.get("CONTENT_TYPE", "")
        ):  # a JSON body needs a preflight from other sites: no cross-site form posts
            return _json(start, {"error": "send JSON"}, "415 Unsupported Media Type")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        handlers: dict[str, Callable[[], Any]] = {
            "/sandbox/command": lambda: sandbox.command(data["user"], data["conv"], data["text"]),
            "/sandbox/action": lambda: sandbox.action(
                data["user"], data["conv"], data.get("item"), data
            ),
            "/sandbox/submit": lambda: sandbox.submit(data["user"], data["view"], data["values"]),
            "/sandbox/close": lambda: sandbox.close(
                data["user"], everyone=data.get("everyone") is True
            ),
            "/sandbox/home": lambda: sandbox.open_home(data["user"]),
            "/sandbox/react": lambda: sandbox.react(
                data["user"], int(data["item"]), data["reaction"]
            ),
            "/sandbox/run": lambda: sandbox.run(data["job"]),
        }
        handler = handlers.get(path)
        if handler is None or environ.get("REQUEST_METHOD") != "POST":
            return _json(start, {"error": "not found"}, "404 Not Found")
        return _json(start, handler())

    return application
