"""Who is calling: the bearer token, checked, and held to its rate."""

from __future__ import annotations

import threading
import time

from flask import request

from bot.api.errors import ApiError
from bot.domain.errors import NotAllowed
from bot.services import Services
from bot.services.api import NO_TOKEN, Caller, digest

RATE, BURST = 20.0, 100.0  # requests a second per token, and the burst allowed


class Buckets:
    """A token bucket per API token, in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, token: str) -> float:
        """0 when a request may go now; otherwise the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            level, last = self._state.get(token, (BURST, now))
            level = min(BURST, level + (now - last) * RATE)
            if level < 1:
                self._state[token] = (level, now)
                return (1 - level) / RATE
            self._state[token] = (level - 1, now)
            return 0.0


class Authenticator:
    """The caller of the current request, or an ApiError (401, or 429 with Retry-After)."""

    def __init__(self, services: Services) -> None:
        self.services, self.buckets = services, Buckets()

    def __call__(self, *, limited: bool = True) -> Caller:
        """With `limited` False (CRM webhooks, whose retries are safe to answer) no rate
        limit applies: HubSpot, for one, reads `Retry-After` as milliseconds."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(401, "Unauthorized", NO_TOKEN)
        secret = header.removeprefix("Bearer ").strip()
        try:
            found = self.services.api.authenticate(secret)
        except NotAllowed as error:
            raise ApiError(401, "Unauthorized", error.message) from error
        wait = self.buckets.take(digest(secret)) if limited else 0.0
        if wait:
            retry = {"Retry-After": max(1, round(wait + 0.5))}
            raise ApiError(429, "Too many requests", "Slow down.", **retry)
        return found
