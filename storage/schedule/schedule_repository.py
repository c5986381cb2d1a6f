"""Scheduled-message claims and reactions of one workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from bot.domain.schedule import CLAIMED, FAILED, PENDING, SENT, SKIPPED
from storage.models import Reaction, ScheduledSend
from storage.statements import insert_ignoring_conflicts, table_of


class ScheduleRepo:
    """Every statement filters on the workspace's team id."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def claim(
        self,
        key: str,
        job: str,
        recipient: str,
        period: str,
        *,
        now: datetime,
        team_id: int | None = None,
    ) -> bool:
        """Insert the send's unique key; False when someone already claimed it (never send then)."""
        values: dict[str, Any] = {
            "key": key,
            "workspace_id": self.workspace_id,
            "job": job,
            "recipient": recipient,
            "period": period,
            "team_id": team_id,
            "status": CLAIMED,
            "attempts": 0,
            "claimed_at": now,
            "first_claimed_at": now,
        }
        return insert_ignoring_conflicts(self.session, ScheduledSend, values)

    def send(self, key: str) -> ScheduledSend | None:
        """The send claimed under `key`, if any."""
        query = select(ScheduledSend).where(
            ScheduledSend.workspace_id == self.workspace_id, ScheduledSend.key == key
        )
        return self.session.scalars(query).one_or_none()

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` were already claimed."""
        if not keys:
            return set()
        query = select(ScheduledSend.key).where(
            ScheduledSend.workspace_id == self.workspace_id, ScheduledSend.key.in_(list(keys))
        )
        return set(self.session.scalars(query))

    def plan(
        self, key: str, job: str, recipient: str, period: str, *, now: datetime, **more: Any
    ) -> bool:
        """Queue a send for any sender to claim; False when its key is already known.
        `more`: `team_id`, and `seq`, its place among this workspace's planned sends."""
        values: dict[str, Any] = {
            "key": key,
            "workspace_id": self.workspace_id,
            "job": job,
            "recipient": recipient,
            "period": period,
            "team_id": more.get("team_id"),
            "seq": more.get("seq"),
            "status": PENDING,
            "attempts": 0,
            "claimed_at": now,
        }
        return insert_ignoring_conflicts(self.session, ScheduledSend, values)

    def renew(self, key: str, seen_claimed_at: datetime, now: datetime) -> bool:
        """Renew this sender's claim just before sending; False if another took it over."""
        statement = (
            update(table_of(ScheduledSend))
            .where(ScheduledSend.workspace_id == self.workspace_id, ScheduledSend.key == key)
            .where(ScheduledSend.status == CLAIMED, ScheduledSend.claimed_at == seen_claimed_at)
            .values(claimed_at=now)
            .returning(ScheduledSend.id)
        )
        return self.session.connection().execute(statement).first() is not None

    def abandon_unsent(self, reason: str) -> int:
        """Give up every send not made yet (the workspace uninstalled okrbot)."""
        statement = (
            update(table_of(ScheduledSend))
            .where(ScheduledSend.workspace_id == self.workspace_id)
            .where(ScheduledSend.status.in_([PENDING, CLAIMED, FAILED]))
            .values(status=SKIPPED, error=reason)
        )
        return int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def take_over(self, key: str, seen_claimed_at: datetime, now: datetime) -> bool:
        """Re-claim an unfinished send whose claim is older than expected (its sender died);
        only one taker wins."""
        statement = (
            update(table_of(ScheduledSend))
            .where(ScheduledSend.workspace_id == self.workspace_id, ScheduledSend.key == key)
            .where(
                ScheduledSend.status.in_([CLAIMED, FAILED]),
                ScheduledSend.claimed_at == seen_claimed_at,
            )
            # A claim still `claimed` died mid-send: that attempt counts too.
            .values(
                claimed_at=now,
                status=CLAIMED,
                attempts=ScheduledSend.attempts
                + case((ScheduledSend.status == CLAIMED, 1), else_=0),
            )
            .returning(ScheduledSend.id)
        )
        return self.session.connection().execute(statement).first() is not None

    def give_up(self, claimed_before: datetime, max_attempts: int) -> int:
        """Mark failed the claims whose senders died mid-send `max_attempts` times."""
        statement = (
            update(table_of(ScheduledSend))
            .where(ScheduledSend.workspace_id == self.workspace_id)
            .where(
                ScheduledSend.status == CLAIMED,
                ScheduledSend.claimed_at < claimed_before,
                ScheduledSend.attempts >= max_attempts,
            )
            .values(status=FAILED, error="gave up: the sender stopped mid-send every time")
        )
        return int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def unfinished(self, claimed_before: datetime, max_attempts: int) -> list[ScheduledSend]:
        """Claims not sent yet: their sender crashed, or sending failed and may be retried."""
        query = select(ScheduledSend).where(
            ScheduledSend.workspace_id == self.workspace_id,
            ScheduledSend.status.in_([CLAIMED, FAILED]),
            ScheduledSend.claimed_at < claimed_before,
            ScheduledSend.attempts < max_attempts,
        )
        return list(self.session.scalars(query.order_by(ScheduledSend.claimed_at)))

    def finish(
        self,
        key: str,
        status: str,
        now: datetime,
        channel: str | None = None,
        *,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of a send."""
        self.session.execute(
            update(table_of(ScheduledSend))
            .where(ScheduledSend.workspace_id == self.workspace_id, ScheduledSend.key == key)
            .values(
                status=status,
                sent_at=now if status == SENT else None,
                channel=channel,
                ts=ts,
                error=error,
                attempts=ScheduledSend.attempts + 1,
            )
        )

    def sends(self, job: str | None = None) -> list[ScheduledSend]:
        query = select(ScheduledSend).where(ScheduledSend.workspace_id == self.workspace_id)
        if job is not None:
            query = query.where(ScheduledSend.job == job)
        return list(self.session.scalars(query.order_by(ScheduledSend.id)))

    def last_post(self, job: str, recipient: str, before_period: str) -> ScheduledSend | None:
        """The latest sent message of `job` to `recipient` for an earlier period."""
        query = (
            select(ScheduledSend)
            .where(ScheduledSend.workspace_id == self.workspace_id, ScheduledSend.job == job)
            .where(ScheduledSend.recipient == recipient, ScheduledSend.status == SENT)
            .where(ScheduledSend.period < before_period)
            .order_by(ScheduledSend.period.desc())
            .limit(1)
        )
        return self.session.scalars(query).one_or_none()

    def is_our_post(self, channel: str, ts: str) -> bool:
        query = select(ScheduledSend.id).where(
            ScheduledSend.workspace_id == self.workspace_id,
            ScheduledSend.channel == channel,
            ScheduledSend.ts == ts,
            ScheduledSend.status == SENT,
        )
        return self.session.scalars(query).first() is not None

    # -- reactions ---------------------------------------------------------------------------
    def add_reaction(
        self, channel: str, ts: str, user_id: str, reaction: str, *, now: datetime
    ) -> bool:
        values = {
            "workspace_id": self.workspace_id,
            "channel": channel,
            "message_ts": ts,
            "user_id": user_id,
            "reaction": reaction,
            "created_at": now,
        }
        return insert_ignoring_conflicts(self.session, Reaction, values)

    def reaction_count(self, channel: str, ts: str) -> int:
        query = select(func.count()).where(
            Reaction.workspace_id == self.workspace_id,
            Reaction.channel == channel,
            Reaction.message_ts == ts,
        )
        return int(self.session.scalar(query) or 0)
