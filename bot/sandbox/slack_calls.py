"""What the fake Slack records: each call it received, and failures it was told to answer with."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class Call:
    """One request the fake received."""

    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    received: float = field(default_factory=time.perf_counter)
    answered: dict[str, Any] = field(default_factory=dict)  # what the fake answered

    @property
    def method(self) -> str:
        """The Web API method (`chat.postMessage`), `response_url`, or `upload` for file bytes."""
        if self.path.startswith("/response/"):
            return "response_url"
        if self.path.startswith("/upload/"):
            return "upload"
        return self.path.removeprefix("/api/")


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
