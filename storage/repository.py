"""Queries, each scoped to one workspace by construction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, column, delete, func, select, table, update
from sqlalchemy.orm import Session

from bot.domain.schedule import CLAIMED, PENDING, SKIPPED
from storage.models import (
    ApiToken,
    ProcessedEvent,
    ScheduledSend,
    WebhookDelivery,
    WebhookSubscription,
    Workspace,
)
from storage.repo_api import ApiQueries
from storage.repo_base import insert_ignoring_conflicts as insert_ignoring_conflicts
from storage.repo_base import new_config_version as new_config_version
from storage.repo_base import table_of as table_of
from storage.repo_lifecycle import LifecycleQueries
from storage.repo_people import PeopleQueries
from storage.repo_points import PointsQueries
from storage.repo_webhooks import WebhookQueries


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


class WorkspaceRepo(PeopleQueries, PointsQueries, LifecycleQueries, ApiQueries, WebhookQueries):
    """Reads and writes for one workspace; every statement filters on its team id."""


def claim_planned(
    session: Session, now: datetime, limit: int, planned_since: datetime
) -> list[ScheduledSend]:
    """Claim up to `limit` planned sends of installed workspaces, each workspace's first
    ones first. Senders in other processes skip the rows this one is claiming (PostgreSQL's
    SKIP LOCKED), and the status check makes a claim count once even where rows cannot be
    locked (SQLite). Sends planned before `planned_since` are too late: they are skipped."""
    late = (
        update(table_of(ScheduledSend))
        .where(ScheduledSend.status == PENDING, ScheduledSend.claimed_at < planned_since)
        .values(status=SKIPPED, error="too late: not sent within the grace window")
    )
    session.execute(late)
    queue = (
        select(ScheduledSend.id)
        .join(Workspace, Workspace.id == ScheduledSend.workspace_id)
        .where(ScheduledSend.status == PENDING, Workspace.active.is_(True))
        .order_by(ScheduledSend.seq, ScheduledSend.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=ScheduledSend)
    )
    ids = list(session.scalars(queue))
    if not ids:
        return []
    claim = (
        update(table_of(ScheduledSend))
        .where(ScheduledSend.id.in_(ids), ScheduledSend.status == PENDING)
        .values(status=CLAIMED, claimed_at=now, first_claimed_at=now)
        .returning(ScheduledSend.id)
    )
    claimed = [row[0] for row in session.connection().execute(claim)]
    query = select(ScheduledSend).where(ScheduledSend.id.in_(claimed))
    return list(session.scalars(query.order_by(ScheduledSend.seq, ScheduledSend.id)))


def find_api_token(session: Session, token_hash: str) -> ApiToken | None:
    """The token with this hash, in whichever workspace it belongs to."""
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).one_or_none()


def take_api_request(
    session: Session, token_id: int, now: float, rate: float, *, burst: float
) -> float:
    """Take one request from the token's bucket, shared by every process: 0 when it may go
    now, otherwise the seconds until it may (and nothing is taken)."""
    table = table_of(ApiToken)
    last = func.coalesce(table.c.rate_at, now)
    refilled = func.coalesce(table.c.rate_level, burst) + (now - last) * rate
    level = case((refilled > burst, burst), (refilled < 0, 0.0), else_=refilled)
    taken = session.execute(
        update(table)
        .where(table.c.id == token_id, level >= 1)
        .values(rate_level=level - 1, rate_at=now)
        .returning(table.c.id)
    ).first()
    if taken is not None:
        return 0.0
    left = session.scalar(select(level).where(table.c.id == token_id))
    return (1 - float(left or 0.0)) / rate


def claim_webhooks(
    session: Session, now: datetime, limit: int, lease_until: datetime
) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
    """Claim up to `limit` deliveries due now, in any workspace (other senders skip them),
    until `lease_until`: one whose sender died is claimed again after that."""
    queue = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status.in_(["pending", "sending"]),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(queue))
    if not ids:
        return []
    claim = (
        update(table_of(WebhookDelivery))
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.next_attempt_at <= now)
        .values(status="sending", next_attempt_at=lease_until)
        .returning(WebhookDelivery.id)
    )
    claimed = [row[0] for row in session.connection().execute(claim)]
    query = (
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.id.in_(claimed))
        .order_by(WebhookDelivery.id)
    )
    return [(delivery, subscription) for delivery, subscription in session.execute(query)]


def finish_webhook(session: Session, delivery_id: int, **outcome: Any) -> None:
    """Record a delivery attempt: `status`, `last_status`, `last_error`, `next_attempt_at`,
    `sent_at`; one attempt more."""
    statement = (
        update(table_of(WebhookDelivery))
        .where(WebhookDelivery.id == delivery_id)
        .values(attempts=WebhookDelivery.attempts + 1, **outcome)
    )
    session.execute(statement)
