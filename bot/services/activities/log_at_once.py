"""The quickest `/log`: one statement that commits itself, where the database can.

It serves the usual case: this process has the workspace's setup cached, the text reads
against the cached catalog, and the log has none of the effects (bot.domain.log_effects)
that the statement does not perform: storage.activities.log_at_once.PERFORMS declares those it does,
and the repository refuses a log with any other. The statement stores nothing when the
setup's version read under the member's lock is not the cached one, or the member is not
known; the `/log` then takes the transaction of activity_store.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.parsing import CatalogItem, LogRequest
from bot.services.activities.activity_store import Stored, effects_of
from bot.services.activities.log_reading import quick_log, today_and_week
from bot.services.context import ServiceContext


def store_at_once(
    ctx: ServiceContext,
    workspace_id: str,
    user_id: str,
    read_request: Callable[[list[CatalogItem]], LogRequest],
    *,
    request_key: str | None,
) -> tuple[Stored | None, bool]:
    """What was stored (None: nothing), and whether the statement was sent: if it was and
    stored nothing, the cached setup is out of date or the member is not known, so the
    quick way of activity_store.store_with_cached_setup would store nothing either."""
    quick = quick_log(ctx, workspace_id, user_id, read_request, request_key=request_key)
    if quick is None:
        return None, False
    config = quick.config
    effects = effects_of(config, quick.activity)
    today, week = today_and_week(quick.now, config.timezone)
    with ctx.uow() as uow:
        repo = uow.repo(workspace_id, config.timezone)
        found = repo.log_at_once(config.version, today, week, effects, **quick.values)
    if found is None:
        return None, False  # not on this database, or not with these effects
    version, entry, standing = found
    if version is not None:  # the member is stored: ServiceContext.warm has nothing to do
        ctx.known.add((workspace_id, user_id))
    if entry is None or standing is None:
        return None, True
    return (config, quick.request, (entry, [], standing)), True
