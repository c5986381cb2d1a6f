"""Profiles from Slack's `users.info`, for the core's ProfileLookup port."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.domain.periods import zone
from bot.services.context import Profile
from bot.slack_edge import NotInstalled, SlackEdge, Use

log = logging.getLogger(__name__)
CACHE_SECONDS = 600.0


class SlackProfiles:
    """Asks Slack for a member's timezone and admin flag, remembering answers for ten minutes."""

    def __init__(self, edge: SlackEdge, now: Callable[[], float] = time.monotonic) -> None:
        self.edge = edge
        self._now = now
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop every remembered profile."""
        with self._lock:
            self._cache.clear()

    def __call__(self, workspace_id: str, user_id: str) -> Profile:
        """The member's profile; an empty one (not remembered) when Slack can't tell us."""
        key = (workspace_id, user_id)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and self._now() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            client = self.edge.client_for(workspace_id, Use.LOOKUP)
            user = client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError, ValueError, NotInstalled) as error:  # Slack or network
            log.warning("users.info failed for %s in %s: %s", user_id, workspace_id, error)
            return Profile()
        tz = user.get("tz")
        try:
            timezone = zone(tz).key if tz else None
        except ValueError:
            timezone = None
        details = user.get("profile") or {}
        name = details.get("display_name") or details.get("real_name") or user.get("real_name")
        profile = Profile(
            timezone=timezone,
            is_admin=bool(user.get("is_admin") or user.get("is_owner")),
            name=str(name)[:80] if name else None,
        )
        with self._lock:
            self._cache[key] = (self._now(), profile)
        return profile


class SlackEmails:
    """Finds a member by email with `users.lookupByEmail`, remembering answers for ten minutes."""

    def __init__(self, edge: SlackEdge, now: Callable[[], float] = time.monotonic) -> None:
        self.edge, self._now = edge, now
        self._cache: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, workspace_id: str, email: str) -> str | None:
        key = (workspace_id, email.casefold())
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and self._now() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            client = self.edge.client_for(workspace_id, Use.LOOKUP)
            found = client.users_lookupByEmail(email=email).get("user") or {}
            user: str | None = str(found.get("id")) if found.get("id") else None
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed in %s: %s", workspace_id, error)
                return None
            user = None
        except (OSError, ValueError, NotInstalled) as error:
            log.warning("users.lookupByEmail failed in %s: %s", workspace_id, error)
            return None
        with self._lock:
            self._cache[key] = (self._now(), user)
        return user


class SlackGroups:
    """A Slack user group's id and members, by id (`S…`) or handle (`@sales-east`), with
    `usergroups.list` and `usergroups.users.list`."""

    def __init__(self, edge: SlackEdge) -> None:
        self.edge = edge

    def __call__(self, workspace_id: str, group: str) -> tuple[str, tuple[str, ...]] | None:
        try:
            client = self.edge.client_for(workspace_id, Use.LOOKUP)
            group_id = group
            if group.startswith("@"):
                listed = client.usergroups_list().get("usergroups") or []
                handle = group[1:].casefold()
                found = [g for g in listed if str(g.get("handle", "")).casefold() == handle]
                if not found:
                    return None
                group_id = str(found[0].get("id"))
            users = client.usergroups_users_list(usergroup=group_id).get("users") or []
        except SlackApiError as error:
            if error.response.get("error") != "no_such_subteam":
                log.warning("reading user group %s in %s failed: %s", group, workspace_id, error)
            return None
        except (OSError, ValueError, NotInstalled) as error:
            log.warning("reading user group %s in %s failed: %s", group, workspace_id, error)
            return None
        return group_id, tuple(str(user) for user in users)
