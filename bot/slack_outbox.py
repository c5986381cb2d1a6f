"""Delivering scheduled messages to Slack: paced, waiting out 429s, retrying 5xx and network errors."""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.charts import render_chart
from bot.domain.pacing import Pacer
from bot.services.messages import (
    CheckinReminder,
    Delivery,
    DeliveryError,
    Digest,
    LeaderboardPost,
    ManagerNudge,
    Nudge,
    Scheduled,
)
from handlers import scheduled_blocks

log = logging.getLogger(__name__)
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


class SlackOutbox:
    """Renders scheduled messages and sends them, one at a time, within Slack's limits."""

    def __init__(
        self,
        client: WebClient,
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        backoff: float = 1.0,
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.pacer = pacer or Pacer(time.monotonic, sleep)
        self.max_attempts = max_attempts
        self.backoff = backoff

    def deliver(self, message: Scheduled) -> Delivery:
        """Send one scheduled message; DeliveryError says whether a later retry may work."""
        if isinstance(message, Nudge):
            return self._post(message.user, scheduled_blocks.nudge_message(message))
        if isinstance(message, CheckinReminder):
            return self._post(message.user, scheduled_blocks.reminder_message(message))
        if isinstance(message, ManagerNudge):
            return self._post(message.user, scheduled_blocks.manager_nudge_message(message))
        if isinstance(message, LeaderboardPost):
            return self._post(message.channel, scheduled_blocks.leaderboard_post(message))
        return self._digest(message)

    def _digest(self, digest: Digest) -> Delivery:
        if digest.manager is None:
            assert digest.channel is not None
            return self._post(digest.channel, scheduled_blocks.digest_message(digest))
        opened = self._call(
            digest.manager, lambda: self.client.conversations_open(users=digest.manager)
        )
        channel = str(opened["channel"]["id"])
        delivery = self._post(channel, scheduled_blocks.digest_message(digest))
        if digest.chart is not None and digest.chart.series:
            try:
                png = render_chart(digest.chart)
                self._call(
                    channel,
                    lambda: self.client.files_upload_v2(
                        channel=channel,
                        content=png,
                        filename=f"{digest.team}-progress.png",
                        title=digest.chart.title if digest.chart else "progress",
                    ),
                )
            except (
                DeliveryError,
                ValueError,
            ) as error:  # the digest itself went out: don't send it twice
                log.warning("digest chart for %s not uploaded: %s", digest.team, error)
        return delivery

    def _post(self, channel: str, message: dict[str, Any]) -> Delivery:
        response = self._call(
            channel, lambda: self.client.chat_postMessage(channel=channel, **message)
        )
        return Delivery(str(response.get("channel") or channel), str(response["ts"]))

    def _call(self, channel: str, request: Callable[[], Any]) -> Any:
        """Run one Web API call with pacing and retries; raise DeliveryError when it can't go."""
        problem = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            self.pacer.wait(channel)
            try:
                return request()
            except SlackApiError as error:
                status = error.response.status_code
                if status == 429:
                    wait = float(error.response.headers.get("Retry-After", "1") or 1)
                    problem = f"rate limited (Retry-After {wait:g}s)"
                    self.pacer.hold(channel, wait)
                    continue
                if status >= 500:
                    problem = f"Slack answered {status}"
                else:
                    raise DeliveryError(
                        f"Slack refused: {error.response.get('error')}", retry=False
                    ) from error
            except NETWORK_ERRORS as error:
                problem = f"network error: {error}"
            if attempt < self.max_attempts:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        raise DeliveryError(f"gave up after {self.max_attempts} attempts: {problem}", retry=True)
