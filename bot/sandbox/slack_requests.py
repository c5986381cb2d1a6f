"""Requests built and signed exactly as Slack sends them to an app's request URL."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.sandbox.blockkit_rules import errors_problems, message_problems
from bot.sandbox.slack_api import FakeSlack

_triggers = itertools.count(1)


def signature(secret: str, timestamp: str, body: str) -> str:
    """`v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(kw_only=True)
class SlackSender:
    """Posts signed requests to a running okrbot."""

    base_url: str
    secret: str
    response_url: str
    team_id: str = "T0001"
    fake: FakeSlack | None = None
    last: tuple[str, dict[str, str]] | None = None  # the last signed request, for replays

    @staticmethod
    def _refuse(problems: list[str], what: str) -> None:
        if problems:
            raise AssertionError(f"Slack would refuse {what}: " + "; ".join(problems))

    @staticmethod
    def _json(reply: Reply) -> dict[str, Any] | None:
        if not reply.body or not reply.headers.get("Content-Type", "").startswith(
            "application/json"
        ):
            return None
        parsed = reply.json()
        return parsed if isinstance(parsed, dict) else None

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        sign_with: str | None = None,
        signed: bool = True,
        extra_headers: dict[str, str] | None = None,
    ) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
        if signed:
            headers["X-Slack-Signature"] = signature(sign_with or self.secret, ts, body)
        headers.update(extra_headers or {})
        self.last = (body, headers)
        return self.raw("POST", "/slack/events", body, headers)

    def replay(self) -> Reply:
        """Send the last request again, byte for byte, signature and all."""
        assert self.last is not None
        body, headers = self.last
        return self.raw("POST", "/slack/events", body, headers)

    def raw(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Reply:
        host = self.base_url.removeprefix("http://")
        connection = http.client.HTTPConnection(host, timeout=10)
        try:
            connection.request(method, path, body=body.encode(), headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, response.read().decode(), dict(response.getheaders()))
        finally:
            connection.close()

    # -- payload builders ------------------------------------------------------------------
    def command_body(
        self, command: str, text: str = "", user: str = "U0REP1", team: str | None = None
    ) -> str:
        return urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team or self.team_id,
                "team_domain": "acme",
                "channel_id": "C0SALESEAST",
                "channel_name": "sales-east",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0OKRBOT",
                "is_enterprise_install": "false",
                "response_url": self.response_url,
                "trigger_id": f"{next(_triggers)}.1.trigger",
            }
        )

    def command(
        self,
        command: str,
        text: str = "",
        user: str = "U0REP1",
        team: str | None = None,
        **kwargs: Any,
    ) -> Reply:
        """POST a slash command, form-encoded."""
        body = self.command_body(command, text, user, team)
        reply = self.post(body, "application/x-www-form-urlencoded", **kwargs)
        answer = self._json(reply) if reply.status == 200 else None
        if answer:  # Slack shows an acknowledgement with a body as the command's reply
            self._refuse(message_problems(answer), f"the reply to {command}")
            if self.fake is not None:
                self.fake.show_ack(answer)
        return reply

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> Reply:
        """POST an interactive payload as `payload=<json>`."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def block_action(
        self,
        action_id: str,
        value: str,
        user: str = "U0REP1",
        team: str | None = None,
        *,
        container: str = "message",
        view: dict[str, Any] | None = None,
    ) -> Reply:
        """A button clicked in a message, or in `view` (a modal or App Home, as Slack sends
        it back: its id and hash)."""
        team_id = team or self.team_id
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team_id},
            "api_app_id": "A0OKRBOT",
            "token": "legacy-verification-token",
            "container": {
                "type": container,
                "message_ts": "1.1",
                "channel_id": "C0SALESEAST",
                "is_ephemeral": True,
            },
            "trigger_id": f"{next(_triggers)}.1.trigger",
            "channel": {"id": "C0SALESEAST", "name": "sales-east"},
            "response_url": self.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
            del payload["channel"], payload["response_url"]
        return self.interaction(payload)

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, Any],
        private_metadata: str = "",
        user: str = "U0REP1",
        *,
        view_id: str | None = None,
    ) -> Reply:
        """Submit a form; the view is the one okrbot last opened with `callback_id`, if any,
        else a new one (`view_id` submits the same one again, as a second click on Submit)."""
        opened = self.fake.last_view(callback_id) if self.fake else None
        view = dict(opened or {})
        number = next(_triggers)
        view.update(
            {
                "id": view_id or view.get("id") or f"V0FORM{number}",
                "team_id": self.team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
                "hash": view.get("hash") or "1.abc",
            }
        )
        if opened is None:  # the input blocks Slack would have shown, as far as the values tell
            view["blocks"] = [{"type": "input", "block_id": block_id} for block_id in values]
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0OKRBOT",
            "token": "legacy-verification-token",
            "trigger_id": f"{next(_triggers)}.1.trigger",
            "view": view,
            "response_urls": [],
        }
        reply = self.interaction(payload)
        answer = self._json(reply) if reply.status == 200 else None
        if answer:
            self._refuse(errors_problems(answer, view), f"the answer to {callback_id}")
        return reply

    def event(
        self, event: dict[str, Any], event_id: str = "Ev0001", retry: int | None = None
    ) -> Reply:
        """POST an Events API callback as JSON; `retry` adds Slack's retry headers."""
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": self.team_id,
                "api_app_id": "A0OKRBOT",
                "event": event,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "user_id": "UBOT", "is_bot": True}],
            }
        )
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return self.post(body, "application/json", extra_headers=headers)
