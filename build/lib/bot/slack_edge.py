"""The one place okrbot gets a Slack client for a workspace.

With one bot token (`SLACK_BOT_TOKEN`) every workspace gets that token. When okrbot is
installed over OAuth, each workspace's bot token comes from the installation store, and a
token that is about to expire is rotated first (and the new one saved), so the scheduler,
the outbox, digests and profile lookups never call Slack with an expired token."""

from __future__ import annotations

import enum
import logging
import threading
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store import Bot, InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

log = logging.getLogger(__name__)
ROTATE_MINUTES_BEFORE = 120  # rotate a bot token this long before it expires, as Bolt does


class Use(enum.Enum):
    """What a client is for, which decides its timeout and retries."""

    REPLY = "reply"  # answers to people: waits out 429s, retries 5xx and network errors
    LOOKUP = "lookup"  # asked on the way to an answer: 2 s, no retries
    OUTBOX = "outbox"  # scheduled sends: the outbox paces and retries them itself


class NotInstalled(Exception):
    """okrbot has no bot token for this workspace (never installed, or uninstalled)."""


class SlackEdge(Protocol):
    """Gives the client to talk to Slack for one workspace."""

    def client_for(self, workspace_id: str, use: Use = Use.REPLY) -> WebClient:
        """A client holding the workspace's current bot token; NotInstalled if there is none."""
        ...


def make_client(token: str | None, base_url: str, use: Use = Use.REPLY) -> WebClient:
    """A Web API client for `use`."""
    if use is Use.LOOKUP:
        return WebClient(token=token, base_url=base_url, timeout=2, retry_handlers=[])
    if use is Use.OUTBOX:
        return WebClient(token=token, base_url=base_url, retry_handlers=[])
    client = WebClient(token=token, base_url=base_url)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(max_retry_count=2)]
    )
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client


class SingleToken:
    """One workspace, one bot token from the settings."""

    def __init__(self, token: str, base_url: str) -> None:
        self.token, self.base_url = token, base_url

    def client_for(self, workspace_id: str, use: Use = Use.REPLY) -> WebClient:
        return make_client(self.token, self.base_url, use)


class Installations:
    """Each workspace's bot token from the installation store, rotated when near expiry."""

    def __init__(
        self, store: InstallationStore, client_id: str, client_secret: str, base_url: str
    ) -> None:
        self.store, self.base_url = store, base_url
        self.rotator = TokenRotator(
            client_id=client_id,
            client_secret=client_secret,
            client=WebClient(base_url=base_url, retry_handlers=[]),
        )
        self._locks: dict[str, threading.Lock] = {}  # one rotation at a time per workspace
        self._guard = threading.Lock()

    def client_for(self, workspace_id: str, use: Use = Use.REPLY) -> WebClient:
        return make_client(self.token(workspace_id), self.base_url, use)

    def token(self, workspace_id: str) -> str:
        """The workspace's bot token, rotated first when it expires within two hours."""
        with self._guard:
            lock = self._locks.setdefault(workspace_id, threading.Lock())
        with lock:
            bot = self._bot(workspace_id)
            if bot.bot_refresh_token is None:
                return str(bot.bot_token)
            try:
                rotated = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE
                )
            except (SlackApiError, SlackTokenRotationError) as error:
                # Another replica may have rotated it a moment ago: use what it saved.
                log.warning("token rotation for %s failed: %s", workspace_id, error)
                return str(self._bot(workspace_id).bot_token)
            if rotated is None:
                return str(bot.bot_token)
            self.store.save_bot(rotated)
            return str(rotated.bot_token)

    def forget(self, workspace_id: str) -> None:
        """Drop the workspace's installation: its tokens were revoked."""
        self.store.delete_bot(enterprise_id=None, team_id=workspace_id)
        self.store.delete_installation(enterprise_id=None, team_id=workspace_id)

    def _bot(self, workspace_id: str) -> Bot:
        bot = self.store.find_bot(enterprise_id=None, team_id=workspace_id)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"okrbot is not installed in {workspace_id}")
        return bot
