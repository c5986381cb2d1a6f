"""The WSGI application: Slack's endpoint and a health check."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def _json(
    start_response: StartResponse, status: str, payload: dict[str, object]
) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def make_wsgi_app(slack: WSGIApplication, check_database: Callable[[], None]) -> WSGIApplication:
    """Route POST /slack/events to Bolt and GET /healthz to a database check."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            try:
                check_database()
            except Exception as error:
                log.warning("health check failed: %s", error)
                return _json(
                    start_response,
                    "503 Service Unavailable",
                    {"ok": False, "database": "unreachable"},
                )
            return _json(start_response, "200 OK", {"ok": True, "database": "ok"})
        if path == SLACK_PATH and method == "POST":
            return slack(environ, start_response)
        if path == SLACK_PATH:
            return _json(
                start_response, "405 Method Not Allowed", {"ok": False, "error": "use POST"}
            )
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return application
