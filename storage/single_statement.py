"""PostgreSQL: a second connection pool, beside an engine's, for statements that are each a
transaction of their own (autocommit) and may keep generic plans.

okrbot's connections plan every statement for its own values (storage.db), so that a
quarter board is never run with a plan made for any period. The whole-`/log` statement
(storage.activities.log_at_once) has one shape and similar values, and planning it afresh on every run
costs PostgreSQL more than running it; it runs on these connections, which keep
PostgreSQL's default (`plan_cache_mode=auto`). The pool is made on first use, in the
process that uses it (so never before a fork), and disposed with the engine it serves. It
has the engine's pool size and no overflow: at most that many more connections a process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine

_LOCK = threading.Lock()
_MADE: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_MAKERS: WeakKeyDictionary[Engine, Callable[[], Engine]] = WeakKeyDictionary()


def offer(engine: Engine, make: Callable[[], Engine]) -> None:
    """Let statements that are their own transaction use `make()`'s engine beside `engine`."""
    with _LOCK:
        _MAKERS[engine] = make


def single_statement_engine(engine: Engine) -> Engine | None:
    """The engine beside `engine` whose connections run in autocommit with generic plans
    allowed; None when `engine` has none (SQLite, or an engine not made by make_engine)."""
    made = _MADE.get(engine)
    if made is not None:
        return made
    with _LOCK:
        made = _MADE.get(engine)
        if made is not None:
            return made
        make = _MAKERS.get(engine)
        if make is None:
            return None
        made = _MADE[engine] = make()

    def dispose(_engine: Engine) -> None:
        made.dispose()

    event.listen(engine, "engine_disposed", dispose)
    return made
