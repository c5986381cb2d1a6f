"""A workspace's whole life in the database: uninstalled, then deleted with everything in it."""

from __future__ import annotations

from sqlalchemy import Table, column, delete, table

from storage.models import Base, Workspace
from storage.repo_base import RepoBase

# slack_sdk's installation store keeps these; the workspace's rows go with it.
INSTALLATION_TABLES = ("slack_bots", "slack_installations")


class LifecycleQueries(RepoBase):
    """Marking a workspace uninstalled or back, and deleting every row it owns."""

    def delete_everything(self) -> dict[str, int]:
        """Delete every row of the workspace, dependents first; return the count per table."""
        removed: dict[str, int] = {}
        connection = self.session.connection()
        for owned in reversed(Base.metadata.sorted_tables):
            if owned.name == Workspace.__tablename__ or "workspace_id" not in owned.c:
                continue
            statement = delete(owned).where(owned.c.workspace_id == self.workspace_id)
            removed[owned.name] = connection.execute(statement).rowcount or 0
        for name in INSTALLATION_TABLES:
            installs: Table = table(name, column("team_id"))  # type: ignore[assignment]
            statement = delete(installs).where(installs.c.team_id == self.workspace_id)
            removed[name] = connection.execute(statement).rowcount or 0
        statement = delete(Workspace).where(Workspace.id == self.workspace_id)
        removed[Workspace.__tablename__] = connection.execute(statement).rowcount or 0
        self.session.expunge_all()
        return {name: count for name, count in removed.items() if count}
