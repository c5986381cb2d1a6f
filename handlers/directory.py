"""Profiles from Slack's `users.info`, for the core's ProfileLookup port."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.periods import zone
from bot.services.context import Profile

log = logging.getLogger(__name__)


class SlackProfiles:
    """Asks Slack for a member's timezone and admin flag."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def __call__(self, workspace_id: str, user_id: str) -> Profile:
        """The member's profile; an empty one when Slack can't tell us."""
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as error:
            log.warning("users.info failed for %s in %s: %s", user_id, workspace_id, error)
            return Profile()
        tz = user.get("tz")
        try:
            timezone = zone(tz).key if tz else None
        except ValueError:
            timezone = None
        admin = bool(user.get("is_admin") or user.get("is_owner"))
        return Profile(timezone=timezone, is_admin=admin)
