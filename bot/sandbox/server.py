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
from bot.sandbox.blockkit_html import blocks_html, message_html, text_object
from bot.sandbox.screen import JOB_LABELS, TEAM, Item, channel_of
from bot.sandbox.slack_api import FakeSlack
from bot.sandbox.slack_calls import Call
from bot.sandbox.slack_requests import Reply, SlackSender
from bot.settings import Settings
from handlers import ids
from storage.migrate import upgrade


@dataclass(kw_only=True)
class Sandbox:
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

    # -- people and conversations ---------------------------------------------------------
    def people(self) -> list[dict[str, str]]:
        """Everyone in the workspace's teams, with a role, for the person switcher."""
        with self.runtime.services.okrs.ctx.uow() as uow:
            repo = uow.repo(TEAM)
            admins = set(repo.admin_ids())
            roles: dict[str, str] = {}
            home: dict[str, str] = {}
            for team in repo.teams():
                for user in repo.team_manager_ids(team.id):
                    roles[user] = "manager"
                    home.setdefault(user, team.channel_id or "")
                for user in repo.team_member_ids(team.id):
                    roles.setdefault(user, "rep")
                    home.setdefault(user, team.channel_id or "")
            for user in admins:
                roles[user] = "admin"
            names = repo.member_names(sorted(roles))
        return [
            {
                "id": user,
                "name": names.get(user, user),
                "role": roles[user],
                "channel": home.get(user, ""),
            }
            for user in sorted(roles, key=lambda u: (roles[u] != "rep", names.get(u, u)))
        ]

    def channels(self) -> list[dict[str, str]]:
        with self.runtime.services.okrs.ctx.uow() as uow:
            return [
                {"id": team.channel_id, "name": team.name.lower().replace(" ", "-")}
                for team in uow.repo(TEAM).teams()
                if team.channel_id
            ]

    def names(self) -> dict[str, str]:
        return {person["id"]: person["name"] for person in self.people()}

    # -- what okrbot sent ------------------------------------------------------------------
    def _add(self, conv: str, message: dict[str, Any], only: str | None, **where: str) -> Item:
        item = Item(id=next(self._ids), conv=conv, message=message, only=only, **where)
        self.items.append(item)
        return item

    def collect(self) -> None:
        """Turn the local Slack API's new calls into items, modals and home tabs."""
        with self.lock:
            for call in self.slack.calls[self.seen :]:
                if not call.answered:
                    break  # the local Slack API is still answering it: take it next time
                self.seen += 1
                self._collect(call)

    def _collect(self, call: Call) -> None:
        method, params, answer = call.method, call.params, call.answered
        if answer.get("ok") is False:
            error = "; ".join(answer.get("errors") or [str(answer.get("error"))])
            note = {"text": f":warning: Slack refused what okrbot sent: {error}"}
            self._add("errors", note, None)
            return
        if method == "chat.postMessage":
            channel = str(answer.get("channel") or params.get("channel"))
            conv = f"dm:U{channel[1:]}" if channel.startswith("D") else channel
            self._add(conv, params, None, channel=channel, ts=str(answer.get("ts", "")))
        elif method == "chat.postEphemeral":
            channel = str(params.get("channel"))
            conv = f"dm:U{channel[1:]}" if channel.startswith("D") else channel
            self._add(conv, params, str(params.get("user")))
        elif method == "response_url":
            token = call.path.rsplit("/", 1)[1]
            conv, user, replaces = self.responders.get(token, ("errors", "", None))
            shown = None if params.get("response_type") == "in_channel" else user
            old = next((i for i in self.items if i.id == replaces), None)
            if params.get("delete_original"):
                if old is not None:
                    self.items.remove(old)
            elif params.get("replace_original") and old is not None:
                old.message = params
            else:
                self._add(conv, params, shown)
        elif method in ("views.open", "views.push", "views.update"):
            view_id = str(answer.get("view", {}).get("id", ""))
            user = self.triggers.get(str(params.get("trigger_id", ""))) or next(
                (u for u, v in self.modals.items() if v == params.get("view_id")), ""
            )
            if user:
                self.modals[user] = view_id
        elif method == "views.publish":
            self.homes[str(params.get("user_id"))] = dict(params.get("view") or {})
        elif method == "files.completeUploadExternal":
            channel = str(params.get("channel_id", ""))
            conv = f"dm:U{channel[1:]}" if channel.startswith("D") else channel
            for file_id in (f.get("id") for f in answer.get("files") or []):
                image = {
                    "type": "image",
                    "image_url": f"/sandbox/files/{file_id}.png",
                    "alt_text": "chart",
                }
                self._add(conv, {"text": "chart", "blocks": [image]}, None)

    def state(self, user: str, conv: str) -> dict[str, Any]:
        """What `user` sees in `conv`: messages, an open modal and their App Home."""
        self.collect()
        names = self.names()
        with self.lock:
            items = [
                {
                    "id": i.id,
                    "html": message_html(i.message, names),
                    "ephemeral": i.only is not None,
                    "refused": i.conv == "errors",
                    "reactions": {e: len(u) for e, u in self.reactions.get(i.id, {}).items()},
                }
                for i in self.items
                if i.conv in (conv, "errors") and i.only in (None, user)
            ]
            view = self.slack.views.get(self.modals.get(user, ""))
            home = self.homes.get(user)
        modal = None
        if view is not None:
            modal = {
                "id": view["id"],
                "title": text_object(view.get("title")),
                "submit": text_object(view.get("submit")) if view.get("submit") else "",
                "close": text_object(view.get("close")) or "Close",
                "html": blocks_html(view.get("blocks") or [], names),
            }
        return {
            "items": items,
            "modal": modal,
            "home": blocks_html(home.get("blocks") or [], names) if home else "",
        }


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
