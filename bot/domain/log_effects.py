"""What storing an activity log may set off, besides what every log has (its entry, its
ledger line, its day's and month's rollups, and the reply's standing).

Every way of storing a log declares which of these it performs, and a log with an effect
a way does not perform is stored another way (the transaction of
bot.services.activities.activity_store, which performs them all): an effect added here is handled
there, or no log that has it is stored. tests/test_log_paths.py runs each effect through
every way on every engine.
"""

from __future__ import annotations

from enum import Enum


class LogEffect(Enum):
    DAILY_CAP = "its points depend on the units its member logged earlier that day"
    KEY_RESULTS = "it counts toward key results"
    WEBHOOK = "a webhook waits for the event it emits"


def log_effects(*, capped: bool, counted: bool, watched: bool) -> frozenset[LogEffect]:
    """The effects of a log of an activity with a daily cap (`capped`), that key results
    count (`counted`), in a workspace where a webhook waits for logs (`watched`)."""
    chosen = (
        (LogEffect.DAILY_CAP, capped),
        (LogEffect.KEY_RESULTS, counted),
        (LogEffect.WEBHOOK, watched),
    )
    return frozenset(effect for effect, applies in chosen if applies)
