"""How listeners answer Slack: in the acknowledgement itself, or right after it.

With `process_before_response=True`, the ack function runs in the request thread and its
answer goes straight back to Slack. A slash command whose work takes milliseconds does that
work in the ack and answers in its body, which Slack shows as the ephemeral reply: once the
user sees "acknowledged", the work is stored and answered, and a crash before that is an error
Slack shows them. Work that needs a call to Slack (opening a modal, a button's response_url)
runs as a Bolt lazy listener on the worker pool, after an empty ack.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from handlers.replies import answer_errors, in_time, late_message, replied

Listener = Callable[..., Any]
BUSY = (
    ":hourglass: okrbot is very busy right now and did nothing: please try again in a few seconds."
)


class Capacity:
    """Whether the worker pool would take more work (set by the composition root)."""

    has_room: Callable[[], bool] = staticmethod(lambda: True)


capacity = Capacity()


def ack_now(ack: Ack, respond: Any) -> None:
    """Acknowledge with an empty 200; when the pool is full, say so instead of dropping it."""
    ack()
    if respond is not None and not capacity.has_room():
        respond(text=BUSY, response_type="ephemeral", replace_original=False)


def then(register: Callable[..., Any], work: Listener, ack: Listener = ack_now) -> None:
    """Register `work` to run after `ack` has answered Slack."""
    register(ack=ack, lazy=[work])


Answer = Callable[[dict[str, Any], Any], "dict[str, Any]"]
Later = Callable[[dict[str, Any], Any, Any], None]


def command(
    app: App,
    name: str,
    answer: Answer,
    what: str,
    *,
    slow: Callable[[dict[str, Any]], bool] | None = None,
    later: Later | None = None,
) -> None:
    """Answer slash command `name` in its acknowledgement. Commands for which `slow(command)`
    holds are acknowledged empty and handled by `later(command, client, context)` on the pool;
    the others are registered apart, so they carry none of a lazy listener's cost."""

    def acknowledge(ack: Ack, command: dict[str, Any], context: Any) -> None:
        def work() -> dict[str, Any]:
            return in_time(lambda: answer(command, context), late_message, what)

        ack(response_type="ephemeral", **replied(work, what))

    if later is None or slow is None:
        app.command(name)(acknowledge)
        return
    is_slow, run_later = slow, later

    def fast(command: dict[str, Any]) -> bool:
        return not is_slow(command)

    def acknowledge_empty(ack: Ack, context: Any) -> None:
        if capacity.has_room():
            ack()
        else:
            context["okrbot_busy"] = True  # told to retry: the work after the ack skips it
            ack(response_type="ephemeral", text=BUSY)

    def work(command: dict[str, Any], client: Any, context: Any, respond: Any) -> None:
        if not context.get("okrbot_busy"):
            answer_errors(respond, lambda: run_later(command, client, context), what)

    app.command(name, matchers=[fast])(acknowledge)
    app.command(name, matchers=[is_slow])(ack=acknowledge_empty, lazy=[work])


def bound(listener: Callable[..., Any], services: Any) -> Callable[..., Any]:
    """`listener` with the services as its first argument, keeping its name (Bolt names lazy
    listeners by it) and leaving Bolt the arguments it names."""
    given = partial(listener, services)
    # Its name only: a __wrapped__ would make Bolt offer `services` as one of its arguments.
    given.__name__ = listener.__name__  # type: ignore[attr-defined]
    return given


def without_text(command: dict[str, Any]) -> bool:
    """A bare command (`/log`, `/checkin`): it opens a form."""
    return not str(command.get("text") or "").strip()
