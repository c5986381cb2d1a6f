"""A workspace's life: installed, uninstalled, and deleted once its data has been kept long
enough for a change of mind."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.errors import NotFound
from bot.services.context import ServiceContext, ensure_member

log = logging.getLogger(__name__)
KEEP_UNINSTALLED = timedelta(days=30)


@dataclass(frozen=True)
class Installed:
    """What an install did: a new workspace, or one back within its 30 days."""

    workspace: str
    installer: str
    new: bool
    returned: bool


class InstallService:
    """Installs and uninstalls, and deleting a workspace's data."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def install(self, workspace_id: str, installer: str) -> Installed:
        """Make the workspace usable at once: the starter catalog, and the installer as its
        first admin. A workspace back within 30 days keeps everything it had."""
        self.ctx.warm(workspace_id, installer)  # asks Slack before the transaction
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            new = repo.workspace() is None
            ensure_member(self.ctx, repo, installer)
            workspace = repo.workspace()
            assert workspace is not None
            returned = not workspace.active
            workspace.active, workspace.uninstalled_at = True, None
            repo.flush()
            if new or not repo.admin_ids():  # a reinstall keeps the admins it had
                repo.set_admins([installer])
            uow.commit()
        return Installed(workspace_id, installer, new, returned)

    def uninstall(self, workspace_id: str) -> bool:
        """Stop everything for the workspace now; its data is deleted in 30 days. False when
        it was not installed."""
        with self.ctx.uow() as uow:
            workspace = uow.repo(workspace_id).workspace()
            if workspace is None or not workspace.active:
                return False
            workspace.active, workspace.uninstalled_at = False, self.ctx.clock.now()
            uow.schedule(workspace_id).abandon_unsent("okrbot was uninstalled")
            uow.commit()
        return True

    def delete_workspace(
        self, workspace_id: str, *, uninstalled_before: datetime | None = None
    ) -> dict[str, int]:
        """Delete every row the workspace owns, now; the count removed from each table. With
        `uninstalled_before`, only if it is still uninstalled since before then."""
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            workspace = repo.workspace()
            if workspace is None:
                raise NotFound(f"There is no workspace {workspace_id} here.")
            if uninstalled_before is not None and (
                workspace.active
                or workspace.uninstalled_at is None
                or workspace.uninstalled_at >= uninstalled_before
            ):
                return {}  # reinstalled meanwhile
            removed = repo.delete_everything()
            uow.commit()
        return removed

    def purge_uninstalled(self) -> dict[str, int]:
        """Delete the workspaces uninstalled more than 30 days ago, and expired install
        states; the rows removed, per workspace."""
        now = self.ctx.clock.now()
        cutoff = now - KEEP_UNINSTALLED
        with self.ctx.uow() as uow:
            due = uow.uninstalled_before(cutoff)
            uow.forget_oauth_states(now)
            uow.commit()
        purged = {}
        for workspace_id in due:
            removed = self.delete_workspace(workspace_id, uninstalled_before=cutoff)
            if not removed:
                continue
            purged[workspace_id] = sum(removed.values())
            log.info(
                "deleted %s, uninstalled 30 days ago: %d rows", workspace_id, purged[workspace_id]
            )
        return purged
