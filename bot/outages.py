"""Telling an outage of the database from a fault of okrbot's: the first is expected and
said in one line, the second is logged with its traceback."""

from __future__ import annotations

from bot.domain.errors import Busy
from storage.db import database_unavailable as _unreachable


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database could not be reached or did not answer in time."""
    return isinstance(error, Busy) or _unreachable(error)


def outage_line(error: BaseException) -> str:
    """The first line of what the database driver said, without the statement it ran."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0][:200] if text else type(cause).__name__
