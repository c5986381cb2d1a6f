"""The quickest `/log`: one statement that commits itself, where the database can.

It serves the usual case: this process has the workspace's setup cached, the text reads
against the cached catalog, and the activity has no daily cap (whose points need today's
units read under the member's lock), moves no key result and is watched by no webhook (each
of which needs statements of its own, in one transaction). The statement stores nothing
when the setup's version read under the member's lock is not the cached one, or the member
is not known; the `/log` then takes the transaction of activity_store.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.parsing import CatalogItem, LogRequest
from bot.services.activity_store import Stored
from bot.services.context import ServiceContext, WorkspaceConfig
from bot.services.log_reading import quick_log, today_and_week

WATCHED = "activity.logged"  # the webhook event a /log emits


def store_at_once(
    ctx: ServiceContext,
    workspace_id: str,
    user_id: str,
    read_request: Callable[[list[CatalogItem]], LogRequest],
    request_key: str | None,
) -> tuple[Stored | None, bool]:
    """What was stored (None: nothing), and whether the statement was sent: if it was and
    stored nothing, the cached setup is out of date or the member is not known, so the
    quick way of activity_store.store_with_cached_setup would store nothing either."""
    quick = quick_log(ctx, workspace_id, user_id, read_request, request_key)
    if quick is None or quick.config.counted(quick.activity.id) or _watched(quick.config):
        return None, False
    config = quick.config
    today, week = today_and_week(quick.now, config.timezone)
    with ctx.uow() as uow:
        repo = uow.repo(workspace_id, config.timezone)
        found = repo.log_at_once(config.version, today, week, **quick.values)
    if found is None:
        return None, False  # not on this database
    version, entry, standing = found
    if version is not None:  # the member is stored: ServiceContext.warm has nothing to do
        ctx.known.add((workspace_id, user_id))
    if entry is None or standing is None:
        return None, True
    return (config, quick.request, (entry, [], standing)), True


def _watched(config: WorkspaceConfig) -> bool:
    """Whether a webhook waits for the event a /log emits."""
    return any(WATCHED in events for _id, events in config.webhooks)
