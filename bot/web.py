"""The WSGI application: Slack's endpoint and a health check."""

from __future__ import annotations

import json
import logging
import threading
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


class HealthCheck:
    """Runs the database check on its own thread and waits at most `wait` seconds for it.

    A database that hangs (a network black hole) costs one background thread, never a server
    thread: while a check is still hanging, the next ones answer "unreachable" at once."""

    def __init__(self, check: Callable[[], None], wait: float = 2.0) -> None:
        self.check, self.wait = check, wait
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._outcome: list[BaseException | None] = []

    def __call__(self) -> None:
        """Return when the database answered in time; raise otherwise."""
        with self._lock:
            if self._running is not None and self._running.is_alive():
                raise TimeoutError("an earlier database check is still waiting for an answer")
            outcome: list[BaseException | None] = []

            def run() -> None:
                try:
                    self.check()
                    outcome.append(None)
                except BaseException as error:
                    outcome.append(error)

            self._running = threading.Thread(target=run, name="okrbot-health", daemon=True)
            self._running.start()
            thread = self._running
        thread.join(self.wait)
        if not outcome:
            raise TimeoutError(f"the database did not answer within {self.wait:g} s")
        if outcome[0] is not None:
            raise outcome[0]


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
