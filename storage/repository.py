"""Queries, each scoped to one workspace by construction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import ProcessedEvent, Workspace
from storage.repo_base import insert_ignoring_conflicts as insert_ignoring_conflicts
from storage.repo_base import new_config_version as new_config_version
from storage.repo_base import table_of as table_of
from storage.repo_people import PeopleQueries
from storage.repo_points import PointsQueries


def workspace_ids(session: Session) -> list[str]:
    """Every workspace's team id: the scheduler then works inside each one's scope."""
    return list(session.scalars(select(Workspace.id).order_by(Workspace.id)))


def prune_processed_events(session: Session, before: datetime) -> int:
    """Delete remembered deliveries received before `before`, in every workspace."""
    statement = delete(ProcessedEvent).where(ProcessedEvent.received_at < before)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


class WorkspaceRepo(PeopleQueries, PointsQueries):
    """Reads and writes for one workspace; every statement filters on its team id."""
