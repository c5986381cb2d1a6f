"""Turning exceptions into replies a person can act on."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from bot.domain.deadlines import Deadline, TooLate, current, running_under, watchdog
from bot.domain.errors import Repeated, UserError
from bot.outages import database_unavailable, outage_line

log = logging.getLogger(__name__)
outages = logging.getLogger("okrbot.outage")  # expected: the database could not be reached
QUOTE = re.compile(r"`([^`]*)`")
APOLOGY = ":confused: Sorry, something went wrong on our side. Please try again in a minute."
# Slack shows its own error when an answer takes more than 3 seconds.
ANSWER_WITHIN = 2.5
NOT_SAVED = (
    ":hourglass: okrbot's database did not answer in time, so nothing was saved. "
    "Please try again in a minute."
)
SAVED_SLOWLY = (
    ":hourglass: Saved, but okrbot's database is slow right now, so there is no summary this time."
)
T = TypeVar("T")


def answer_errors(respond: Callable[..., Any], work: Callable[[], None], what: str) -> None:
    """Run `work`; a UserError becomes an ephemeral warning, anything else a logged apology."""
    try:
        work()
    except UserError as error:
        respond(
            text=f":warning: {error.message}", response_type="ephemeral", replace_original=False
        )
    except Exception as error:
        log_failure(what, error)
        respond(text=APOLOGY, response_type="ephemeral", replace_original=False)


def log_failure(what: str, error: Exception) -> None:
    """A database outage in one line (it is expected, and says nothing a traceback would
    add); anything else with its traceback."""
    if database_unavailable(error):
        outages.warning("database unavailable while handling %s: %s", what, outage_line(error))
    else:
        log.error("failed to handle %s", what, exc_info=error)


Message = dict[str, Any]


def in_time(
    work: Callable[[], T],
    late: Callable[[bool], T],
    what: str,
    seconds: float | None = None,
) -> T:
    """`work()`, under a deadline `seconds` from now (ANSWER_WITHIN). When the deadline
    passes while the work waits on the database, the watchdog cuts its connection, the work
    fails at once, and the answer is `late(saved)`: nothing it does is kept from then on,
    even by a database that hung and comes back (storage.deadline_guard), and `saved` says
    whether it had already kept something. Any other failure is raised."""
    outer = current()  # the request's, when its bookkeeping already runs under one
    deadline = outer or Deadline(ANSWER_WITHIN if seconds is None else seconds)
    if outer is None:
        watchdog.watch(deadline)
    try:
        with running_under(deadline):
            return work()
    except Exception as error:
        if not late_failure(deadline, error):
            raise
        outages.warning(
            "database did not answer in time while handling %s (%s); answered %s",
            what,
            outage_line(error),
            "that it was saved" if deadline.kept else "that nothing was saved",
        )
        return late(deadline.kept)
    finally:
        if outer is None:
            deadline.finished = True


def late_failure(deadline: Deadline, error: Exception) -> bool:
    """Whether `error` is the work's deadline passing (its connection cut, or refused)."""
    return deadline.expired or deadline.remaining() == 0 or isinstance(error, TooLate)


def late_message(saved: bool) -> Message:
    """The answer to a command when the database did not answer in time."""
    return {"text": SAVED_SLOWLY if saved else NOT_SAVED}


def late_answer(body: dict[str, Any]) -> Message | None:
    """What Slack is told when a request's time ran out before its work began: a command's
    reply, or a form's error on its first input (the form stays open); None for the rest,
    which Slack only needs acknowledged."""
    if body.get("command"):
        return {"response_type": "ephemeral", **late_message(False)}
    view = body.get("view")
    if body.get("type") == "view_submission" and isinstance(view, dict):
        blocks = [b for b in view.get("blocks") or [] if isinstance(b, dict)]
        inputs = [
            str(b["block_id"]) for b in blocks if b.get("type") == "input" and b.get("block_id")
        ]
        return late_form(view, inputs[0])(False) if inputs else None  # Slack: input blocks only
    return None


def late_form(view: dict[str, Any], fallback: str) -> Callable[[bool], Message]:
    """The answer to a form when the database did not answer in time: it closes when its
    submission was saved, and otherwise stays open with what was typed, saying so."""

    def late(saved: bool) -> Message:
        if saved:
            return {}
        errors = form_errors(view, {fallback: NOT_SAVED.removeprefix(":hourglass: ")}, fallback)
        return {"response_action": "errors", "errors": errors}

    return late


MAX_ROW_ID = 2**31 - 1  # the largest id a row of okrbot's has (PostgreSQL's integer)


def row_id(value: object, what: str) -> int:
    """A button's value as the id of one of okrbot's rows; UserError when it cannot be one."""
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ROW_ID):
        raise UserError(f"That {what} button is broken; open the message again for a new one.")
    return int(text)


def form_key(view: dict[str, Any]) -> str:
    """What makes a form submission the same one again: the view and its version."""
    return f"view:{view.get('id', '')}:{view.get('hash', '')}"


def command_key(command: dict[str, Any]) -> str | None:
    """What makes a slash command the same one again: its trigger id."""
    trigger = command.get("trigger_id")
    return f"command:{trigger}" if trigger else None


def answered_once(
    services: Any,
    workspace: str,
    key: str | None,
    work: Callable[[str | None], Message],
    *,
    repeat: Message,
    keep: bool = True,
) -> Message:
    """`work(key)` stores what a form or command asks for under `key`, once; its answer is
    kept (unless `keep` is False: an answer with a secret) and a repeat of the same key gets
    it again, or `repeat` when it was not kept."""
    try:
        answer = work(key)
    except Repeated:
        kept = services.events.answer_of(workspace, key) if key and keep else None
        return kept or repeat
    if key is not None and keep:
        services.events.remember_answer(workspace, key, answer)
    return answer


def replied(work: Callable[[], Message], what: str) -> Message:
    """The message `work` builds; a UserError becomes a warning, anything else a logged apology."""
    try:
        return work()
    except UserError as error:
        return {"text": f":warning: {error.message}"}
    except Exception as error:
        log_failure(what, error)
        return {"text": APOLOGY}


def workspace_of(context: Any) -> str:
    """The Slack team id the request came from (the enterprise id for org-wide installs)."""
    workspace = context.get("team_id") or context.get("enterprise_id")
    if not workspace:
        raise UserError("I couldn't tell which workspace this came from.")
    return str(workspace)


def form_errors(view: dict[str, Any], errors: dict[str, str], fallback: str) -> dict[str, str]:
    """Errors keyed by input blocks the form really has: Slack refuses any other block_id.

    An error for a field the form does not show goes to `fallback` (or the first input).
    """
    inputs = [
        str(block["block_id"])
        for block in view.get("blocks") or []
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id")
    ]
    if not inputs:
        return errors
    default = fallback if fallback in inputs else inputs[0]
    placed: dict[str, str] = {}
    # Slack shows form errors as plain text: quote input as “this”, not with backticks.
    errors = {block: QUOTE.sub(r"“\1”", message) for block, message in errors.items()}
    for block_id, message in errors.items():
        target = block_id if block_id in inputs else default
        if target != block_id:
            log.warning(
                "form error for %r shown on %r: the form has no such field", block_id, target
            )
        placed[target] = f"{placed[target]} {message}" if target in placed else message
    return placed


def private_metadata(view: dict[str, Any], default: Any) -> Any:
    """The JSON a form carries in `private_metadata`; `default` when it is missing or not JSON."""
    raw = view.get("private_metadata")
    if not isinstance(raw, str) or not raw:
        return default
    try:
        return json.loads(raw) or default
    except ValueError:
        return default


def form_values(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """A submitted form's values by block and action, keeping only well-formed entries."""
    values = (view.get("state") or {}).get("values") or {}
    return {
        block: {action: entry for action, entry in actions.items() if isinstance(entry, dict)}
        for block, actions in values.items()
        if isinstance(actions, dict)
    }
