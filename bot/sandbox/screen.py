"""The sandbox's workspace, the labels of its jobs, and the items of its conversations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.domain.schedule import JOBS

if TYPE_CHECKING:
    pass

TEAM = "T0SANDBOX"
JOB_LABELS = {job.value: spec.title for job, spec in JOBS.items()}


@dataclass(kw_only=True)
class Item:
    """A message shown in a conversation; `only` limits it to one person (ephemeral)."""

    id: int
    conv: str
    message: dict[str, Any]
    only: str | None = None
    channel: str = ""
    ts: str = ""


def channel_of(conv: str) -> str:
    """The Slack channel id of a conversation: `dm:U0ANN` is the DM `D0ANN`."""
    if conv.startswith("dm:"):
        return "D" + conv[len("dm:U") :]
    return conv
