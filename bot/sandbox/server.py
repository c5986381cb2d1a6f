"""The local Slack sandbox: okrbot's real app, its local Slack API, and a Slack-like page.

Everything the page does becomes a request signed as Slack signs it and sent to okrbot's real
`/slack/events` endpoint on this server; everything okrbot sends lands in the local, strict
Slack API, and the page shows it: messages, ephemeral replies, modals and App Home.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from bot.app import Runtime, build_runtime
from bot.domain.schedule import Job
from bot.sandbox.screen import JOB_LABELS, TEAM, Item, Screen, channel_of
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_requests import Reply, SlackSender
from bot.settings import Settings
from handlers import ids
from storage.migrate import upgrade


@dataclass(kw_only=True)
class Sandbox(Screen):
    """The sandbox's state: what okrbot sent, as conversations, modals and home tabs."""

    runtime: Runtime
    slack: FakeSlack
    secret: str
    base_url: str = ""
    items: list[Item] = field(default_factory=list)
    modals: dict[str, str] = field(default_factory=dict)  # user -> open view id
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)
    responders: dict[str, tuple[str, str, int | None]] = field(default_factory=dict)
    triggers: dict[str, str] = field(default_factory=dict)  # trigger id -> user
    seen: int = 0
    reactions: dict[int, dict[str, set[str]]] = field(
        default_factory=dict
    )  # item -> emoji -> users
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def commands(self) -> list[str]:
        """The slash commands the composer offers."""
        return list(ids.COMMANDS)

    # -- what the page does -----------------------------------------------------------------
    def sender(self, token: str) -> SlackSender:
        return SlackSender(
            base_url=self.base_url,
            secret=self.secret,
            response_url=f"{self.slack.url}/response/{token}",
            team_id=TEAM,
        )

    def _responder(self, conv: str, user: str, replaces: int | None = None) -> str:
        token = secrets.token_hex(8)
        self.responders[token] = (conv, user, replaces)
        return token

    def command(self, user: str, conv: str, text: str) -> dict[str, Any]:
        """A slash command typed in the composer, e.g. `/log call 3`."""
        command, _, rest = text.strip().partition(" ")
        if command not in ids.COMMANDS:
            return {"error": f"{command or 'That'} is not an okrbot command. Try /log help."}
        token = self._responder(conv, user)
        sender = self.sender(token)
        body = sender.command_body(command, rest, user, TEAM)
        body = body.replace("channel_id=C0SALESEAST", f"channel_id={channel_of(conv)}")
        trigger = dict(parse_qsl(body))["trigger_id"]
        self.triggers[trigger] = user
        reply = sender.post(body, "application/x-www-form-urlencoded")
        if reply.status == 200 and reply.body:
            with self.lock:
                self._add(conv, reply.json(), user)
        return _outcome(reply)

    def action(
        self, user: str, conv: str, item: int | None, fields: dict[str, str]
    ) -> dict[str, Any]:
        """A button pressed on a message (item) or in a modal or App Home."""
        token = self._responder(conv, user, item)
        sender = self.sender(token)
        trigger = f"{secrets.randbelow(10**9)}.sandbox.trigger"
        self.triggers[trigger] = user
        with self.lock:
            found = next((i for i in self.items if i.id == item), None)
        container: dict[str, Any] = {"type": "message", "message_ts": found.ts if found else "1.1"}
        if fields.get("where") == "home":
            container = {"type": "view", "view_id": "VHOME"}
        shown = self.slack.views.get(str(fields.get("view") or ""))
        if fields.get("where") == "modal" and shown is not None:
            container = {"type": "view", "view_id": shown["id"]}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "sandbox"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0OKRBOT",
            "container": container,
            "trigger_id": trigger,
            "channel": {"id": channel_of(conv)},
            "response_url": sender.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": fields["action_id"],
                    "block_id": fields.get("block_id", "b"),
                    "value": fields.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if container["type"] == "view" and shown is not None:
            payload["view"] = {**shown, "team_id": TEAM}  # with its id and hash, as Slack sends it
        return _outcome(sender.interaction(payload))

    def submit(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """The open modal submitted with `values` (by block, then action id)."""
        view = self.slack.views.get(view_id)
        if view is None:
            return {"error": "That form is no longer open."}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "sandbox"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0OKRBOT",
            "trigger_id": f"{secrets.randbelow(10**9)}.sandbox.trigger",
            "view": {**view, "state": {"values": values}, "team_id": TEAM},
        }
        reply = self.sender(self._responder("errors", user)).interaction(payload)
        answer = reply.json() if reply.body.startswith("{") else {}
        if answer.get("response_action") == "errors":
            return {"errors": answer.get("errors", {})}
        if answer.get("response_action") == "update":
            with self.lock:
                self.slack.views[view_id] = {**answer["view"], "id": view_id}
            return {"ok": True}
        with self.lock:
            self.modals.pop(user, None)
        return _outcome(reply)

    def close(self, user: str, *, everyone: bool = False) -> dict[str, Any]:
        """Close `user`'s open form, or everyone's (the page was loaded afresh, which closes
        forms in Slack too: a token's secret is never shown again by a reload)."""
        self.collect()  # take in every form opened so far
        with self.lock:
            if everyone:
                self.modals.clear()
            else:
                self.modals.pop(user, None)
        return {"ok": True}

    def open_home(self, user: str) -> dict[str, Any]:
        """Open the Home tab: it shows "Opening App Home…" until okrbot publishes it afresh,
        never the figures of the last time it was opened."""
        self.collect()  # take in every view published so far
        with self.lock:
            self.homes.pop(user, None)
        event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": f"D{user[1:]}"}
        return _outcome(self.sender("home").event(event, event_id=f"EvHome{secrets.token_hex(6)}"))

    def react(self, user: str, item: int, reaction: str) -> dict[str, Any]:
        with self.lock:
            found = next((i for i in self.items if i.id == item), None)
            if found is None or not found.ts:
                return {"error": "Reactions can be added to channel posts."}
            people = self.reactions.setdefault(item, {}).setdefault(reaction, set())
            if user in people:  # a second click takes the reaction back, as in Slack
                people.discard(user)
                return {"ok": True}
        event = {
            "type": "reaction_added",
            "user": user,
            "reaction": reaction,
            "item": {"type": "message", "channel": found.channel, "ts": found.ts},
            "event_ts": f"{time.time():.6f}",
        }
        outcome = _outcome(self.sender("react").event(event, event_id=f"Ev{secrets.token_hex(8)}"))
        if "ok" in outcome:
            with self.lock:
                people.add(user)
        return outcome

    def run(self, job: str) -> dict[str, Any]:
        report = self.runtime.services.scheduler.run_job(Job(job))
        label = JOB_LABELS.get(job, job)
        if report.sent:
            text = f"{label}: {report.sent} sent."
        elif report.already:
            text = f"{label}: already sent for this period; each goes out once."
        else:
            text = f"{label}: nobody to send it to right now."
        if report.failed:
            return {"error": f"{text} {report.failed} failed: {'; '.join(report.errors)[:300]}"}
        return {"ok": True, "report": text}


def _outcome(reply: Reply) -> dict[str, Any]:
    if reply.status >= 400:
        return {"error": f"okrbot answered {reply.status}: {reply.body[:200]}"}
    return {"ok": True}


def build_sandbox(database_url: str, clock: Any = None) -> Sandbox:
    """okrbot wired to a local Slack API it can reach and the page can read."""
    slack = FakeSlack(team_id=TEAM).start()
    secret = hashlib.sha256(secrets.token_bytes(16)).hexdigest()
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-sandbox",
        slack_signing_secret=secret,
        slack_api_url=slack.api_url,
    )
    runtime = build_runtime(settings, clock=clock)
    upgrade(runtime.engine)
    return Sandbox(runtime=runtime, slack=slack, secret=secret)
