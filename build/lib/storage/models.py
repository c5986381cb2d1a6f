"""SQLAlchemy models. Every table carries the Slack team id of the workspace it belongs to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    checkin_points: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # The most points a key result, and one unit of an activity, may be worth (playbook `limits`).
    max_kr_points: Mapped[int] = mapped_column(Integer, default=10000, server_default="10000")
    max_activity_points: Mapped[int] = mapped_column(Integer, default=1000, server_default="1000")
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    schedules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    app_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    playbook_imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A new random value on creation and on every import that changes something, so processes
    # can cache the catalog and know when their copy is stale (even after a restore).
    config_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # False once the app is uninstalled: nothing is sent, and the data goes after 30 days.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How each CRM's webhooks map to activities (the playbook's `integrations:`).
    integrations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(80), nullable=True)  # from the Slack profile
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tz_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    away_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class ActivityType(Base):
    __tablename__ = "activity_types"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    key: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(80))
    points: Mapped[int] = mapped_column(Integer)
    daily_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    usergroup_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # members from
    usergroup_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Membership(NamedTuple):
    """A team membership as plain values, for reads of a whole workspace's teams."""

    team_id: int
    user_id: str
    role: str


class TeamMembership(Base):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))


class ActivityLog(Base):
    """One `/log`: what was done, how many, and the points it earned at the time."""

    __tablename__ = "activity_logs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "request_key"),
        Index("ix_activity_logs_member_time", "workspace_id", "user_id", "logged_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    points_per_unit: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    units_over_cap: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    request_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


ACTIVITY = "activity"  # ledger categories: points for activities, and for results
RESULT = "result"


class LedgerEntry(Base):
    """Append-only points ledger. `occurred_at` decides the period an entry counts toward."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "reason", "reference"),
        Index("ix_ledger_entries_period", "workspace_id", "occurred_at"),
        Index("ix_ledger_entries_member", "workspace_id", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DailyPoints(Base):
    """Points and activities of one member on one day of the workspace's calendar, kept in step
    with the ledger in the same transaction, so boards and totals never scan the ledger."""

    __tablename__ = "daily_points"
    __table_args__ = (Index("ix_daily_points_day", "workspace_id", "day"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    activity_points: Mapped[int] = mapped_column(Integer, default=0)
    result_points: Mapped[int] = mapped_column(Integer, default=0)
    activities: Mapped[int] = mapped_column(Integer, default=0)  # logs not undone


class MonthlyPoints(Base):
    """A member's points in one month of the workspace's calendar (`month` is its first day):
    the sum of their daily rollups in it, kept in step in the same transaction, so a board
    over whole months (a quarter) reads a row per member and month instead of one a day."""

    __tablename__ = "monthly_points"
    __table_args__ = (Index("ix_monthly_points_month", "workspace_id", "month"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    activity_points: Mapped[int] = mapped_column(Integer, default=0)
    result_points: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedEvent(Base):
    """Slack event ids already handled, so a retried delivery is not handled twice."""

    __tablename__ = "processed_events"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # for repeats


class Cycle(Base):
    """A named OKR period, e.g. 2026-Q4; dates are calendar days in the workspace timezone."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Objective(Base):
    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("workspace_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    ref: Mapped[str] = mapped_column(String(16))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    title: Mapped[str] = mapped_column(String(150))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("objectives.id"), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # Viva Goals' id


class KeyResult(Base):
    __tablename__ = "key_results"
    __table_args__ = (UniqueConstraint("workspace_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    ref: Mapped[str] = mapped_column(String(16))
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(150))
    owner_id: Mapped[str] = mapped_column(String(32))
    kr_type: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(30), default="")
    start_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    current_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    milestones: Mapped[list[str]] = mapped_column(JSON, default=list)
    milestones_done: Mapped[list[bool]] = mapped_column(JSON, default=list)
    last_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    final_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    override_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Made owner by someone else: they accept first. Personal: a manager approves its points.
    owner_accepted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    points_approved: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    assigned_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # Viva Goals' id


class CheckIn(Base):
    """A reported value for a key result. Corrections are new check-ins; none is overwritten."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_key_result", "workspace_id", "key_result_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    milestones_done: Mapped[list[bool] | None] = mapped_column(JSON, nullable=True)
    confidence: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    blockers: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ActivityLink(Base):
    """An activity that `counts` toward a key result's metric, or `feeds` it as a leading indicator."""

    __tablename__ = "activity_links"
    __table_args__ = (UniqueConstraint("activity_type_id", "key_result_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    activity_type_id: Mapped[int] = mapped_column(ForeignKey("activity_types.id"))
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id"))
    role: Mapped[str] = mapped_column(String(8))


class Contribution(Base):
    """What one activity log added to a key result it counts toward, so Undo takes back exactly that."""

    __tablename__ = "kr_contributions"
    __table_args__ = (UniqueConstraint("activity_log_id", "key_result_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    activity_log_id: Mapped[int] = mapped_column(ForeignKey("activity_logs.id"))
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id"))
    amount: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ScheduledSend(Base):
    """One scheduled message, claimed by its unique key before it is sent, then marked."""

    __tablename__ = "scheduled_sends"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_scheduled_sends_status", "status", "claimed_at"),
        Index("ix_scheduled_sends_job", "workspace_id", "job", "recipient"),
        Index("ix_scheduled_sends_queue", "status", "seq", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    workspace_id: Mapped[str] = mapped_column(String(32))
    job: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))  # a user id or a channel id
    period: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # pending | claimed | sent | skipped | failed
    # Planned sends are claimed in this order: each workspace's first, then each one's
    # second…, so a workspace with many sends never holds up one with few.
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The first claim: an interrupted send is looked for in Slack from here, however often it
    # has been taken over since.
    first_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Reaction(Base):
    """A reaction on one of okrbot's posts (leaderboards): who reacted with what."""

    __tablename__ = "reactions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel", "message_ts", "user_id", "reaction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    reaction: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A workspace's API token: only its SHA-256 is kept, with its scopes."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(16))  # its first characters, to tell tokens apart
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Its token bucket, shared by every process: requests left, and when (epoch seconds).
    rate_level: Mapped[float | None] = mapped_column(Float, nullable=True)
    rate_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class ApiRequest(Base):
    """A POST made with an Idempotency-Key: its body's hash and the answer, kept 24 hours."""

    __tablename__ = "api_requests"
    __table_args__ = (UniqueConstraint("workspace_id", "token_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    token_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(255))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookSubscription(Base):
    """A URL that wants some of a workspace's events, and the secret its deliveries are
    signed with (Standard Webhooks)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WebhookDelivery(Base):
    """One event for one subscription: queued in the transaction that made it, then sent,
    retried with backoff, and its outcome kept."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    message_id: Mapped[str] = mapped_column(String(40))  # webhook-id: the same on every retry
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class HeldHook(Base):
    """A CRM webhook payload that could not be mapped when it came, held with the reason so
    that it can be logged once the mapping, the member or the activity is fixed."""

    __tablename__ = "held_hooks"
    __table_args__ = (Index("ix_held_hooks_workspace", "workspace_id", "logged_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id"))
    source: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON as it came
    problem: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retried_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
