"""Ack first, then work: listeners are registered as Bolt lazy listeners.

With `process_before_response=True`, the ack function runs in the request thread and its
answer goes straight back to Slack; the lazy functions then run on Bolt's thread pool. Slack
gets its acknowledgement in about a millisecond, whatever the work costs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

Listener = Callable[..., Any]


def ack_now(ack: Ack) -> None:
    """Acknowledge with an empty 200."""
    ack()


def then(register: Callable[..., Any], work: Listener, ack: Listener = ack_now) -> None:
    """Register `work` to run after `ack` has answered Slack."""
    register(ack=ack, lazy=[work])
