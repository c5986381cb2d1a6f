"""The fake Slack's answers, one function per Web API method it knows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox.slack_oauth import bearer

if TYPE_CHECKING:
    from bot.sandbox.slack_api import FakeSlack
    from bot.sandbox.slack_calls import Call

VIEW_METHODS = ("views.open", "views.publish", "views.update", "views.push")
Answer = dict[str, Any]


def auth_test(fake: FakeSlack, call: Call) -> Answer:
    team = fake.oauth.team_of(bearer(call)) or fake.team_id
    return {"ok": True, "team_id": team, "user_id": "UBOT", "bot_id": "BBOT", "team": "Test"}


def oauth_access(fake: FakeSlack, call: Call) -> Answer:
    return fake.oauth.access(call)


def users_info(fake: FakeSlack, call: Call) -> Answer:
    user = call.params.get("user", "")
    gate = fake.held_users.get(user)
    if gate is not None:
        gate.wait(timeout=10)  # a slow Slack, until the test lets it answer
    name = fake.names.get(user, f"Person {user[-4:]}")
    profile = {
        "id": user,
        "name": name.lower().replace(" ", "."),
        "real_name": name,
        "tz": fake.timezones.get(user, "America/New_York"),
        "profile": {"real_name": name, "display_name": name},
    }
    return {"ok": True, "user": {**profile, "is_admin": user in fake.admins}}


def lookup_by_email(fake: FakeSlack, call: Call) -> Answer:
    email = str(call.params.get("email", "")).casefold()
    user = next((u for e, u in fake.emails.items() if e.casefold() == email), None)
    if user is None:
        return {"ok": False, "error": "users_not_found"}
    return {"ok": True, "user": {"id": user, "name": user.lower(), "profile": {"email": email}}}


def usergroups_list(fake: FakeSlack, call: Call) -> Answer:
    """Every user group: id, handle and name; their users only with include_users."""
    with_users = str(call.params.get("include_users")).lower() in ("true", "1")
    groups = []
    for group_id, (handle, users) in fake.usergroups.items():
        group: Answer = {"id": group_id, "team_id": fake.team_id, "is_usergroup": True,
                         "handle": handle, "name": handle.replace("-", " ").title(),
                         "user_count": len(users)}  # fmt: skip
        if with_users:
            group["users"] = list(users)
        groups.append(group)
    return {"ok": True, "usergroups": groups}


def usergroups_users(fake: FakeSlack, call: Call) -> Answer:
    group = fake.usergroups.get(str(call.params.get("usergroup") or ""))
    if not call.params.get("usergroup"):
        return {"ok": False, "error": "invalid_arguments"}
    if group is None:
        return {"ok": False, "error": "no_such_subteam"}
    return {"ok": True, "users": list(group[1])}


def post_ephemeral(fake: FakeSlack, call: Call) -> Answer:
    if fake.ephemeral_error:
        return {"ok": False, "error": fake.ephemeral_error}
    return {"ok": True, "message_ts": f"{fake.next_number()}.000100"}


def post_message(fake: FakeSlack, call: Call) -> Answer:
    metadata = call.params.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        return {"ok": False, "error": "invalid_metadata_format"}
    channel = str(call.params.get("channel"))
    if channel.startswith("U"):  # a DM posted to a user id lands in their IM channel
        channel = "D" + channel[1:]
    ts = f"{int(fake.now())}.{fake.next_number():06d}"  # unique, and Slack-shaped
    stored = {"type": "message", "ts": ts, "text": call.params.get("text", "")}
    if metadata is not None:
        stored["metadata"] = metadata
    with fake.condition:
        fake.history.setdefault(channel, []).append(stored)
    return {"ok": True, "channel": channel, "ts": ts}


def history(fake: FakeSlack, call: Call) -> Answer:
    """Messages in a channel, newest first; metadata only with include_all_metadata."""
    params = call.params
    channel = str(params.get("channel") or "")
    oldest = float(params.get("oldest") or 0)
    with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
    with fake.condition:
        messages = list(fake.history.get(channel, []))
    found = []
    for message in reversed(messages):
        if float(message["ts"]) < oldest:
            continue
        shown = dict(message)
        if not with_metadata:
            shown.pop("metadata", None)
        found.append(shown)
    limit = int(params.get("limit") or 100)
    start = int(params.get("cursor") or 0)
    page = found[start : start + limit]
    more = start + limit < len(found)
    answer: Answer = {"ok": True, "messages": page, "has_more": more}
    if more:
        answer["response_metadata"] = {"next_cursor": str(start + limit)}
    return answer


def open_conversation(fake: FakeSlack, call: Call) -> Answer:
    return {"ok": True, "channel": {"id": "D" + str(call.params.get("users", ""))[1:]}}


def upload_url(fake: FakeSlack, call: Call) -> Answer:
    number = fake.next_number()
    return {"ok": True, "upload_url": f"{fake.url}/upload/{number}", "file_id": f"F{number}"}


def complete_upload(fake: FakeSlack, call: Call) -> Answer:
    files = call.params.get("files")
    if isinstance(files, str):
        files = json.loads(files)
    ids = [str(f.get("id")) for f in files or [] if isinstance(f, dict)] or ["F1"]
    return {"ok": True, "files": [{"id": file_id, "title": "chart"} for file_id in ids]}


def view(fake: FakeSlack, call: Call) -> Answer:
    """views.open, .publish, .update and .push. As Slack does, an update names a view that
    exists, and one sent with the `hash` of an older version of it is refused (hash_conflict),
    so two updates racing cannot silently overwrite each other."""
    shown = dict(call.params.get("view") or {})
    view_id = str(call.params.get("view_id") or f"V{fake.next_number()}")
    with fake.condition:
        earlier = fake.views.get(view_id)
        if call.method == "views.update":
            if earlier is None:
                return {"ok": False, "error": "not_found"}
            sent_hash = call.params.get("hash")
            if sent_hash and sent_hash != earlier.get("hash"):
                return {"ok": False, "error": "hash_conflict"}
            if earlier.get("state") is not None:
                shown["state"] = earlier["state"]  # input values stay where block ids stay
        shown["id"] = view_id
        shown["hash"] = f"{fake.next_number()}.{view_id}"
        fake.views.pop(view_id, None)
        fake.views[view_id] = shown
    return {"ok": True, "view": shown}


METHODS: dict[str, Callable[[FakeSlack, Call], Answer]] = {
    "auth.test": auth_test,
    "oauth.v2.access": oauth_access,
    "users.info": users_info,
    "users.lookupByEmail": lookup_by_email,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users,
    "chat.postEphemeral": post_ephemeral,
    "chat.postMessage": post_message,
    "conversations.history": history,
    "conversations.open": open_conversation,
    "files.getUploadURLExternal": upload_url,
    "files.completeUploadExternal": complete_upload,
    **dict.fromkeys(VIEW_METHODS, view),
}
