"""The WSGI application: Slack's endpoint and a health check."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
API_PREFIX = "/api/v1"


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

    Probes that arrive while a check runs wait for that same check. A database that hangs (a
    network black hole) costs one background thread, never a server thread: once a check has
    run longer than `wait`, probes answer "unreachable" at once until it returns."""

    def __init__(
        self,
        check: Callable[[], None],
        wait: float = 2.0,
        on_wait: Callable[[], None] = lambda: None,
    ) -> None:
        self.check, self.wait, self.on_wait = check, wait, on_wait
        self._lock = threading.Lock()
        self._running: tuple[threading.Thread, float, list[BaseException | None]] | None = None

    def __call__(self) -> None:
        """Return when the database answered in time; raise otherwise."""
        with self._lock:
            running = self._running
            if running is None or not running[0].is_alive():
                outcome: list[BaseException | None] = []

                def run() -> None:
                    try:
                        self.check()
                        outcome.append(None)
                    except BaseException as error:
                        outcome.append(error)

                thread = threading.Thread(target=run, name="okrbot-health", daemon=True)
                thread.start()
                running = self._running = (thread, time.monotonic(), outcome)
        thread, started, outcome = running
        self.on_wait()  # a probe is about to wait for the running check
        thread.join(max(0.0, started + self.wait - time.monotonic()))
        if not outcome:
            raise TimeoutError(f"the database did not answer within {self.wait:g} s")
        if outcome[0] is not None:
            raise outcome[0]


MAX_BODY = 1_000_000  # bytes; Slack's payloads are far smaller
OBJECT_FIELDS = (
    "view", "container", "channel", "message", "team", "user", "enterprise", "state", "event",
)  # fmt: skip
TEXT_FIELDS = (
    "trigger_id", "response_url", "callback_id", "api_app_id", "token", "action_ts", "team_id",
    "event_id",
)  # fmt: skip


USER_EVENTS = ("app_home_opened", "reaction_added", "function_executed")  # about one person


def _malformed(body: bytes, content_type: str) -> str | None:
    """Why a request to /slack/events cannot be a Slack request, or None when it may be.

    Bolt trusts the shape of what Slack sends; a hand-made payload of the wrong shape would
    fail deep inside it, so those are answered 400 here."""
    try:
        if "json" in content_type:
            parsed = json.loads(body)
            if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
                return "a JSON body needs a type"
            if parsed["type"] == "event_callback" and not isinstance(parsed.get("event"), dict):
                return "an event_callback needs an event"
            if parsed["type"] == "event_callback":
                event = parsed["event"]
                if not _is_id(parsed.get("team_id")):
                    return "an event_callback needs the team it comes from"
                if event.get("type") in USER_EVENTS and not _is_id(event.get("user")):
                    return f"a {event.get('type')} event needs its user"
            return _wrong_types(parsed)
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "the body is not valid JSON or form data"
    if "payload" not in form:
        if form.get("ssl_check"):
            return None
        if not form.get("command"):
            return "no command or payload"
        missing = [name for name in ("user_id", "team_id") if not form.get(name)]
        return f"a command needs {' and '.join(missing)}" if missing else None
    try:
        payload = json.loads(form["payload"])
    except (ValueError, RecursionError):
        return "the payload is not JSON (or is nested too deeply)"
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "the payload needs a type"
    kind = payload["type"]
    wrong = _wrong_types(payload)
    if wrong:
        return wrong
    if kind == "block_actions":
        actions = payload.get("actions")
        if not actions or not all(isinstance(a, dict) and a.get("action_id") for a in actions):
            return "block_actions needs actions, each with an action_id"
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not all(
            isinstance(view.get(name), str) for name in ("id", "type", "callback_id")
        ):
            return "a view payload needs a view with an id, a type and a callback_id"
        if not isinstance((view.get("state") or {}).get("values", {}), dict):
            return "the view's state needs values"
    if not isinstance(payload.get("user", {}), dict) or not isinstance(
        payload.get("team", {}), dict
    ):
        return "user and team must be objects"
    if kind in ("block_actions", "view_submission", "shortcut", "message_action"):
        user = payload.get("user")
        if not isinstance(user, dict) or not _is_id(user.get("id")):
            return "an interaction needs the user who made it"
    if kind == "block_actions":
        for action in payload.get("actions") or []:
            value = action.get("value")
            if value is not None and not (isinstance(value, str) and len(value) <= 2000):
                return "an action's value must be text of at most 2000 characters"
    return None


def _is_id(value: object) -> bool:
    """A Slack id as Slack writes them: `U0123ABCD`, `T0123ABCD`, `C0123ABCD`."""
    return isinstance(value, str) and 2 < len(value) <= 32 and value.isalnum() and value.isupper()


def _wrong_types(payload: dict[str, Any]) -> str | None:
    """Fields Bolt reads that hold the wrong kind of value."""
    for name in OBJECT_FIELDS:
        if name in payload and not isinstance(payload[name], dict):
            return f"{name} must be an object"
    for name in TEXT_FIELDS:
        if name in payload and not isinstance(payload[name], str):
            return f"{name} must be text"
    if "actions" in payload and not isinstance(payload["actions"], list):
        return "actions must be a list"
    if "authorizations" in payload and not isinstance(payload["authorizations"], list):
        return "authorizations must be a list"
    return None


def _slack_request_problem(
    environ: WSGIEnvironment, verifier: SignatureVerifier | None
) -> tuple[str, str] | None:
    """(status, reason) for a request that must not reach Bolt; reads and restores the body.

    The signature is checked before anything reads the body: every unsigned, forged or stale
    request is answered 401 whatever it holds, and only signed ones reach the shape checks."""
    stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    if stamp is not None and not (str(stamp).isascii() and str(stamp).isdigit()):
        return "401 Unauthorized", "X-Slack-Request-Timestamp must be a number of seconds"
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return "400 Bad Request", "Content-Length must be a number"
    if length > MAX_BODY:
        return "413 Payload Too Large", "the body is too large"
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    if verifier is not None and not verifier.is_valid(
        body, str(stamp or ""), str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    ):
        return "401 Unauthorized", "the request is not signed with this app's signing secret"
    reason = _malformed(body, str(environ.get("CONTENT_TYPE", "")))
    return ("400 Bad Request", reason) if reason else None


def make_wsgi_app(
    slack: WSGIApplication,
    check_database: Callable[[], None],
    oauth_paths: tuple[str, ...] = (),
    api: WSGIApplication | None = None,
    *,
    signing_secret: str | None = None,
) -> WSGIApplication:
    """Route POST /slack/events to Bolt and GET /healthz to a database check; with
    `oauth_paths`, Bolt also serves the install page and the OAuth redirect (GET). With a
    `signing_secret`, requests to /slack/events are verified before anything else."""
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

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
            problem = _slack_request_problem(environ, verifier)
            if problem is not None:
                status, reason = problem
                log.info("refused a request to %s: %s", SLACK_PATH, reason)
                return _json(start_response, status, {"ok": False, "error": reason})
            return slack(environ, start_response)
        if path in oauth_paths and method == "GET":
            return slack(environ, start_response)
        if api is not None and (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            return api(environ, start_response)
        if path == SLACK_PATH:
            return _json(
                start_response, "405 Method Not Allowed", {"ok": False, "error": "use POST"}
            )
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return application
