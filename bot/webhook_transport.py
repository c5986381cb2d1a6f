"""Posting webhook deliveries over HTTP, signed as Standard Webhooks signs them."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

TIMEOUT = 10.0  # seconds a receiver has to answer


def post_webhook(url: str, secret: str, message_id: str, body: str) -> int:
    """POST `body` to `url` with `webhook-id`, `webhook-timestamp` (the real time now, which
    receivers check against theirs) and `webhook-signature`; the HTTP status it answered.
    OSError when it could not be reached."""
    timestamp = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "okrbot-webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
    }
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
