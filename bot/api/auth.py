"""Who is calling: the bearer token, checked, and held to its rate."""

from __future__ import annotations

import math

from flask import request

from bot.api.errors import ApiError
from bot.domain.errors import NotAllowed
from bot.services import Services
from bot.services.integrations.api import NO_TOKEN, Caller, Throttled


class Authenticator:
    """The caller of the current request, or an ApiError (401, or 429 with Retry-After)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, *, limited: bool = True) -> Caller:
        """With `limited` False (CRM webhooks, whose retries are safe to answer) no rate
        limit applies: HubSpot, for one, reads `Retry-After` as milliseconds."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise ApiError(401, "Unauthorized", NO_TOKEN)
        secret = header.removeprefix("Bearer ").strip()
        try:
            return self.services.api.authenticate(secret, limited=limited)
        except NotAllowed as error:
            raise ApiError(401, "Unauthorized", error.message) from error
        except Throttled as error:
            retry = {"Retry-After": max(1, math.ceil(error.retry_after))}
            raise ApiError(429, "Too many requests", error.message, **retry) from error
