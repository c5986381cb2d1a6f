"""What the API's use cases take and give: plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import NotAllowed, UserError


@dataclass(frozen=True, kw_only=True)
class TokenInfo:
    id: int
    name: str
    hint: str  # its first characters
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class ActivityIn:
    """One activity posted to the API (already shaped by the API's schema)."""

    member: str
    activity: str
    quantity: int
    note: str = ""
    external_id: str | None = None
    source: str = "api"

    def request_key(self) -> str | None:
        """The same external id from the same source is the same activity, however often
        a CRM retries it."""
        return None if self.external_id is None else f"ext:{self.source}:{self.external_id}"


@dataclass(frozen=True, kw_only=True)
class Logged:
    id: int
    member: str
    activity: str
    quantity: int
    points: int


@dataclass(frozen=True, kw_only=True)
class ActivityOut:
    id: int
    member: str
    activity: str
    quantity: int
    points: int
    note: str
    logged_at: datetime


class BatchProblems(UserError):
    """Some items of a batch are wrong; nothing of the batch was stored."""

    def __init__(self, problems: list[tuple[str, str]], note: str = "") -> None:
        super().__init__(f"{len(problems)} item(s) are wrong; nothing was stored.{note}")
        self.problems = problems  # (JSON pointer, what is wrong)


class Throttled(UserError):
    """The token has spent its requests for now; `retry_after` seconds until the next."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("This token sends too fast: slow down and retry after `Retry-After`.")
        self.retry_after = retry_after


class InProgress(UserError):
    """A request with the same Idempotency-Key is still being answered."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: a workspace's token, and what it may do."""

    workspace: str
    token_id: int
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise NotAllowed(f"This token lacks the `{scope}` scope; create one that has it.")
