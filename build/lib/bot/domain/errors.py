"""Errors a user can cause, each carrying a message written for that user."""

import re

ECHO_LIMIT = 100
_QUOTED = re.compile(r"`([^`]*)`")


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """`text` cut to `limit` characters with an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_quotes(message: str) -> str:
    """What the user typed is quoted in backticks; each quote is cut to about 100 characters."""
    return _QUOTED.sub(lambda match: f"`{clip(match.group(1))}`", message)


class UserError(Exception):
    """A problem with what the user asked for; `message` is shown to them as is, except that
    quoted input (between backticks) is cut to about 100 characters."""

    def __init__(self, message: str, field: str | None = None) -> None:
        message = _clip_quotes(message)
        super().__init__(message)
        self.message = message
        self.field = field


class Repeated(Exception):
    """This request (the same form submission, the same command) was handled before; what it
    asked for is stored already and must not be stored again."""


class Duplicate(Exception):
    """A record with the same unique key exists already (for example a repeated request)."""


class NotFound(UserError):
    """The thing the user referred to does not exist in their workspace."""


class NotAllowed(UserError):
    """The user may not do this."""


class Busy(Exception):
    """The database gave up a transaction to break a deadlock or a serialization conflict:
    nothing of it was kept, and doing it again is safe."""
