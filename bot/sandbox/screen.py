"""What people see in the sandbox: okrbot's messages, modals and home tabs, as conversations."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.domain.schedule import JOBS
from bot.sandbox.blockkit_html import blocks_html, message_html, text_object
from bot.sandbox.slack_calls import Call

if TYPE_CHECKING:
    from bot.app import Runtime
    from bot.sandbox.slack_api import FakeSlack

TEAM = "T0SANDBOX"
JOB_LABELS = {job.value: spec.title for job, spec in JOBS.items()}


@dataclass(kw_only=True)
class Item:
    """A message shown in a conversation; `only` limits it to one person (ephemeral)."""

    id: int
    conv: str
    message: dict[str, Any]
    only: str | None = None
    channel: str = ""
    ts: str = ""


def channel_of(conv: str) -> str:
    """The Slack channel id of a conversation: `dm:U0ANN` is the DM `D0ANN`."""
    if conv.startswith("dm:"):
        return "D" + conv[len("dm:U") :]
    return conv


class Screen:
    """Turns what okrbot sent to the local Slack API into what each person sees."""

    runtime: Runtime
    slack: FakeSlack
    items: list[Item]
    modals: dict[str, str]  # user -> open view id
    homes: dict[str, dict[str, Any]]
    responders: dict[str, tuple[str, str, int | None]]  # token -> conversation, user, item
    triggers: dict[str, str]  # trigger id -> user
    seen: int
    reactions: dict[int, dict[str, set[str]]]  # item -> emoji -> users
    lock: threading.Lock
    _ids: itertools.count[int]

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
