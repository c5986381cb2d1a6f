"""A middleware that handles each Slack delivery once: retried events, replayed requests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.domain.deadlines import Deadline, running_under, watchdog
from bot.outages import outage_line
from bot.services import Services
from bot.services.events import delivery_key
from handlers import ids, replies

log = logging.getLogger(__name__)


def _workspace(body: dict[str, Any]) -> str | None:
    team = body.get("team_id")
    if not team and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    if not team and isinstance(body.get("user"), dict):
        team = body["user"].get("team_id")
    return str(team) if isinstance(team, str) and team else None


def _header(req: BoltRequest, name: str) -> str:
    values = req.headers.get(name) or []
    return str(values[0]) if values else ""


class HandleOnce(Middleware):
    """Skip a Slack event whose `event_id` was handled (Slack retries with X-Slack-Retry-Num),
    and any other request seen before with the same signature (a replay), except commands
    that are safe to repeat. (A Middleware subclass: Bolt calls it directly, without
    working out which arguments a function middleware asks for on every request.)"""

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        # The request's deadline starts here: the bookkeeping below writes to the database
        # too, and its listener answers within what is left (replies.in_time).
        deadline = Deadline(replies.ANSWER_WITHIN)
        watchdog.watch(deadline)
        try:
            with running_under(deadline):
                return self._once(req, next, deadline)
        finally:
            deadline.finished = True

    def _once(
        self, req: BoltRequest, next: Callable[[], BoltResponse], deadline: Deadline
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
            return BoltResponse(status=400, body="an event_callback needs an event")
        workspace = _workspace(body)
        if body.get("command") in ids.REPEAT_SAFE_COMMANDS:
            return next()
        if body.get("type") == "event_callback" and body.get("event_id"):
            key = delivery_key("event", str(body["event_id"]))
        elif _header(req, "x-slack-signature"):
            signed = _header(req, "x-slack-request-timestamp") + _header(req, "x-slack-signature")
            key = delivery_key("signed", signed)
        else:
            return next()  # Socket Mode: Slack's envelope ids are handled by the SDK
        if workspace:
            try:
                first = self.services.events.first_delivery(workspace, key)
            except Exception as error:
                if not replies.late_failure(deadline, error):
                    raise
                replies.outages.warning(
                    "database did not answer in time while noting a delivery (%s)",
                    outage_line(error),
                )
                answer = replies.late_answer(body)
                return BoltResponse(status=200, body=answer if answer is not None else "")
            deadline.kept = False  # the delivery's bookkeeping is not the work's
            if not first:
                log.info("skipping a repeated delivery (%s)", key)
                return BoltResponse(status=200, body="")
        return next()


def register(app: App, services: Services) -> None:
    """Handle each Slack delivery once (HandleOnce)."""
    app.middleware(HandleOnce(services))
