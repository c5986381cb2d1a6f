"""Delivering scheduled messages to Slack: paced, waiting out 429s, retrying 5xx and network errors."""

from __future__ import annotations

import http.client
import logging
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.charts import render_chart
from bot.pacing import Pacer
from bot.services.schedule.messages import (
    Delivery,
    DeliveryError,
    Digest,
    Render,
    Scheduled,
    destination,
)
from bot.slack_edge import NotInstalled, SlackEdge, Use

log = logging.getLogger(__name__)
METADATA_TYPE = "okrbot_send"  # Slack message metadata on every scheduled message
HISTORY_PAGES = 10  # of 200 messages: how far back an interrupted send is looked for
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)


@dataclass(frozen=True)
class Line:
    """The workspace a delivery is for, and its client."""

    workspace: str
    client: WebClient


class SlackOutbox:
    """Renders scheduled messages and sends them, one at a time, within Slack's limits."""

    def __init__(
        self,
        edge: SlackEdge,
        render: Render,
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        *,
        max_attempts: int = 5,
        backoff: float = 1.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.edge = edge
        self.render = render
        self.sleep = sleep
        self.wall_clock = wall_clock  # seconds since the epoch, as Slack's message ts counts
        self.pacer = pacer or Pacer(now=time.monotonic, sleep=sleep)
        self.max_attempts = max_attempts
        self.backoff = backoff

    def deliver(self, workspace: str, message: Scheduled, key: str) -> Delivery:
        """Send one scheduled message, tagged with its key in Slack message metadata;
        DeliveryError says whether a later retry may work."""
        line = self._client(workspace)
        if isinstance(message, Digest) and message.manager is not None:
            return self._digest(line, message, key)
        return self._post(line, destination(message)[0], self.render(message), key)

    def find(
        self, workspace: str, message: Scheduled, key: str, since: datetime
    ) -> Delivery | None:
        """Look for the message tagged `key` in the conversation it goes to (recent history)."""
        line = self._client(workspace)
        return self._search(line, self._conversation(line, message), key, since.timestamp())

    def _client(self, workspace: str) -> Line:
        try:
            return Line(workspace, self.edge.client_for(workspace, Use.OUTBOX))
        except NotInstalled as error:
            raise DeliveryError(str(error), retry=False) from error

    def _search(self, line: Line, channel: str, key: str, oldest: float) -> Delivery | None:
        """The message tagged `key` posted in `channel` since `oldest`, reading every page."""
        cursor = ""
        for _page in range(HISTORY_PAGES):
            page = self._call(
                line, channel, partial(self._history_page, line, channel, oldest, cursor)
            )
            for posted in page.get("messages") or []:
                metadata = posted.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_TYPE and payload.get("key") == key:
                    return Delivery(channel, str(posted["ts"]))
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not page.get("has_more") or not cursor:
                return None
        raise DeliveryError(f"{channel}'s history is too long to search for {key}", retry=True)

    def _history_page(self, line: Line, channel: str, oldest: float, cursor: str) -> Any:
        return line.client.conversations_history(
            channel=channel,
            oldest=f"{oldest:.6f}",
            include_all_metadata=True,
            limit=200,
            cursor=cursor or None,
        )

    def _conversation(self, line: Line, message: Scheduled) -> str:
        """The channel a message lands in (a person's DM with okrbot is opened to learn its id)."""
        user, person = destination(message)
        if not person:
            return user
        opened = self._call(line, user, lambda: line.client.conversations_open(users=user))
        return str(opened["channel"]["id"])

    def _digest(self, line: Line, digest: Digest, key: str) -> Delivery:
        """A manager's digest, in their DM, with its chart uploaded after it."""
        channel = self._conversation(line, digest)
        delivery = self._post(line, channel, self.render(digest), key)
        if digest.chart is not None and digest.chart.series:
            try:
                png = render_chart(digest.chart)
                self._call(
                    line,
                    channel,
                    lambda: line.client.files_upload_v2(
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

    def _post(self, line: Line, channel: str, message: dict[str, Any], key: str) -> Delivery:
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"key": key}}
        started = self.wall_clock() - 60

        def already_posted() -> dict[str, str] | None:
            """After an error that may hide a success (5xx, timeout): did Slack post it?"""
            where = channel
            if channel.startswith(("U", "W")):  # a DM: its history is under the IM channel
                opened = line.client.conversations_open(users=channel)
                where = str(opened["channel"]["id"])
            found = self._search(line, where, key, started)
            return {"channel": found.channel, "ts": found.ts} if found else None

        response = self._call(
            line,
            channel,
            lambda: line.client.chat_postMessage(channel=channel, metadata=metadata, **message),
            before_retry=already_posted,
        )
        return Delivery(str(response.get("channel") or channel), str(response["ts"]))

    def _call(
        self,
        line: Line,
        channel: str,
        request: Callable[[], Any],
        before_retry: Callable[[], Any | None] | None = None,
    ) -> Any:
        """Run one Web API call with pacing and retries; raise DeliveryError when it can't go.
        After a failure that may hide a success, `before_retry` can find what the call did;
        what it returns is then the answer, and the call is not made again."""
        problem = "no attempt made"
        unsure = False
        for attempt in range(1, self.max_attempts + 1):
            self.pacer.wait(line.workspace, channel)
            if unsure and before_retry is not None:
                try:
                    found = before_retry()
                except (SlackApiError, *NETWORK_ERRORS, DeliveryError) as error:
                    log.warning("could not check whether %s went through: %s", channel, error)
                    found = None
                if found is not None:
                    return found
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
                    unsure = True
                else:
                    raise DeliveryError(
                        f"Slack refused: {error.response.get('error')}", retry=False
                    ) from error
            except NETWORK_ERRORS as error:
                problem = f"network error: {error}"
                unsure = True
            if attempt < self.max_attempts:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        raise DeliveryError(f"gave up after {self.max_attempts} attempts: {problem}", retry=True)
