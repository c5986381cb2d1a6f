"""Queries, each scoped to one workspace by construction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import column, delete, select, table
from sqlalchemy.orm import Session

from storage.models import ProcessedEvent, Workspace
from storage.repo_base import insert_ignoring_conflicts as insert_ignoring_conflicts
from storage.repo_base import new_config_version as new_config_version
from storage.repo_base import table_of as table_of
from storage.repo_lifecycle import LifecycleQueries
from storage.repo_people import PeopleQueries
from storage.repo_points import PointsQueries


def workspace_ids(session: Session, *, active_only: bool = False) -> list[str]:
    """Every workspace's team id (only those installed, with `active_only`): the scheduler
    then works inside each one's scope."""
    query = select(Workspace.id).order_by(Workspace.id)
    if active_only:
        query = query.where(Workspace.active.is_(True))
    return list(session.scalars(query))


def uninstalled_before(session: Session, cutoff: datetime) -> list[str]:
    """Workspaces uninstalled before `cutoff`."""
    query = select(Workspace.id).where(
        Workspace.active.is_(False), Workspace.uninstalled_at < cutoff
    )
    return list(session.scalars(query.order_by(Workspace.id)))


def forget_oauth_states(session: Session, now: datetime) -> int:
    """Delete OAuth states that expired (slack_sdk stores their expiry as naive UTC)."""
    states = table("slack_oauth_states", column("expire_at"))
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    statement = delete(states).where(states.c.expire_at < naive_now)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def prune_processed_events(session: Session, before: datetime) -> int:
    """Delete remembered deliveries received before `before`, in every workspace."""
    statement = delete(ProcessedEvent).where(ProcessedEvent.received_at < before)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


class WorkspaceRepo(PeopleQueries, PointsQueries, LifecycleQueries):
    """Reads and writes for one workspace; every statement filters on its team id."""
