"""Queries, each scoped to one workspace by construction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Table, and_, bindparam, case, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import Duplicate
from storage import rollups
from storage.home import home_team
from storage.models import (
    ACTIVITY,
    RESULT,
    ActivityLog,
    ActivityType,
    Base,
    DailyPoints,
    LedgerEntry,
    Member,
    ProcessedEvent,
    Team,
    TeamMembership,
    Workspace,
)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, for statements that bypass the ORM."""
    return cast(Table, model.__table__)


def insert_ignoring_conflicts(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT a row unless it would break a unique constraint; True when a row was added."""
    connection = session.connection()
    statement = _insert_unless_present(connection.dialect.name, table_of(model))
    # RETURNING tells reliably whether a row went in; rowcount is not reported by every driver.
    return connection.execute(statement, values).first() is not None


@cache
def _insert_unless_present(dialect: str, table: Table) -> Insert:
    """The statement behind insert_ignoring_conflicts, built once per table."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(literal(1))


def new_config_version() -> int:
    """A fresh, random version for a workspace's configuration (see Workspace.config_version)."""
    return secrets.randbelow(2**31 - 1) + 1


def workspace_ids(session: Session) -> list[str]:
    """Every workspace's team id: the scheduler then works inside each one's scope."""
    return list(session.scalars(select(Workspace.id).order_by(Workspace.id)))


def prune_processed_events(session: Session, before: datetime) -> int:
    """Delete remembered deliveries received before `before`, in every workspace."""
    statement = delete(ProcessedEvent).where(ProcessedEvent.received_at < before)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


_LOCK_MEMBER = (
    select(Workspace.config_version)
    .join(Member, Member.workspace_id == Workspace.id)
    .where(Member.workspace_id == bindparam("workspace"), Member.user_id == bindparam("user"))
    .with_for_update(of=Member.__table__)
    # The workspace row is shared-locked too, so an import that changes the workspace (its
    # timezone, which decides the rollups' days) waits for logs in flight, and later logs wait
    # for it and then read its new version. SQLite writes one transaction at a time anyway.
    .suffix_with("FOR SHARE OF workspaces", dialect="postgresql")
)
_ADD_LOG = table_of(ActivityLog).insert().returning(table_of(ActivityLog).c.id)


class WorkspaceRepo:
    """Reads and writes for one workspace; every statement filters on its team id."""

    def __init__(self, session: Session, workspace_id: str, timezone: str | None = None) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self._timezone = timezone  # the workspace's, when the caller already knows it

    def flush(self) -> None:
        """Send pending changes to the database now, so later queries in the transaction see them."""
        self.session.flush()

    def reload(self, row: Base) -> None:
        """Read `row` again from the database (after a statement that changed it)."""
        self.session.refresh(row)

    # -- workspace and members ---------------------------------------------------------
    def workspace(self) -> Workspace | None:
        return self.session.get(Workspace, self.workspace_id)

    def create_workspace(self, timezone: str, now: datetime) -> bool:
        """Create the workspace row if missing; True when this call created it."""
        values = {"id": self.workspace_id, "timezone": timezone, "created_at": now}
        values["config_version"] = new_config_version()
        return insert_ignoring_conflicts(self.session, Workspace, values)

    def lock_member(self, user_id: str) -> int | None:
        """Lock the member's row until the transaction ends (and share-lock the workspace's)
        and return the workspace's configuration version; None when the member (or the
        workspace) is not known yet."""
        values = {"workspace": self.workspace_id, "user": user_id}
        version = self.session.connection().execute(_LOCK_MEMBER, values).scalar_one_or_none()
        if version is None:
            return None
        self.session.info[("workspace shared", self.workspace_id)] = True
        return int(version)

    def _share_workspace(self) -> None:
        """Share-lock the workspace row once per transaction before touching rollups, so a
        rebuild (which locks it exclusively) never runs beside a rollup write (PostgreSQL;
        SQLite writes one transaction at a time)."""
        key = ("workspace shared", self.workspace_id)
        if self.session.info.get(key) or self.session.get_bind().dialect.name != "postgresql":
            return
        query = select(Workspace.id).where(Workspace.id == self.workspace_id)
        self.session.connection().execute(query.with_for_update(read=True))
        self.session.info[key] = True

    def member(self, user_id: str, *, lock: bool = False) -> Member | None:
        query = select(Member).where(
            Member.workspace_id == self.workspace_id, Member.user_id == user_id
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def add_member(
        self,
        user_id: str,
        now: datetime,
        timezone: str | None = None,
        is_admin: bool = False,
        *,
        profile_checked: bool = False,
        name: str | None = None,
    ) -> None:
        values = {
            "workspace_id": self.workspace_id,
            "user_id": user_id,
            "name": name,
            "timezone": timezone,
            "is_admin": is_admin,
            "created_at": now,
            "tz_checked_at": now if profile_checked else None,
        }
        insert_ignoring_conflicts(self.session, Member, values)

    def member_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        """Names from members' Slack profiles, for those that have one."""
        if not user_ids:
            return {}
        query = select(Member.user_id, Member.name).where(
            Member.workspace_id == self.workspace_id,
            Member.user_id.in_(list(user_ids)),
            Member.name.is_not(None),
        )
        return {user: str(name) for user, name in self.session.execute(query)}

    def members(self) -> list[Member]:
        query = select(Member).where(Member.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(Member.user_id)))

    def members_to_refresh(self, checked_before: datetime, limit: int) -> list[str]:
        """Up to `limit` members whose Slack profile was never read, or not since `checked_before`."""
        query = (
            select(Member.user_id)
            .where(Member.workspace_id == self.workspace_id)
            .where(Member.tz_checked_at.is_(None) | (Member.tz_checked_at < checked_before))
            .order_by(Member.user_id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def all_memberships(self) -> list[TeamMembership]:
        query = select(TeamMembership).where(TeamMembership.workspace_id == self.workspace_id)
        return list(self.session.scalars(query))

    def logged_since(self, user_id: str, since: datetime) -> bool:
        """Whether `user_id` has logged an activity (not undone) since `since`."""
        query = select(ActivityLog.id).where(
            ActivityLog.workspace_id == self.workspace_id,
            ActivityLog.user_id == user_id,
            ActivityLog.undone_at.is_(None),
            ActivityLog.logged_at >= since,
        )
        return self.session.scalar(query.limit(1)) is not None

    def active_member_days(self, since: date) -> set[tuple[str, date]]:
        """(member, day of the workspace's calendar) of every day from `since` on with a log
        that was not undone."""
        return rollups.active_member_days(self.session.connection(), self.workspace_id, since)

    def favourite_activities(
        self, since: datetime, user_id: str | None = None
    ) -> dict[str, list[int]]:
        """Per member, activity type ids by units logged since `since`, most first."""
        total = func.sum(ActivityLog.quantity)
        query = (
            select(ActivityLog.user_id, ActivityLog.activity_type_id, total)
            .where(ActivityLog.workspace_id == self.workspace_id, ActivityLog.undone_at.is_(None))
            .where(ActivityLog.logged_at >= since)
            .group_by(ActivityLog.user_id, ActivityLog.activity_type_id)
        )
        if user_id is not None:
            query = query.where(ActivityLog.user_id == user_id)
        ranked: dict[str, list[tuple[int, int]]] = {}
        for user, type_id, units in self.session.execute(query):
            ranked.setdefault(user, []).append((int(units or 0), type_id))
        return {
            user: [t for _u, t in sorted(rows, key=lambda r: (-r[0], r[1]))]
            for user, rows in ranked.items()
        }

    def member_ids(self) -> list[str]:
        query = select(Member.user_id).where(Member.workspace_id == self.workspace_id)
        return list(self.session.scalars(query))

    def admin_ids(self) -> list[str]:
        query = select(Member.user_id).where(
            Member.workspace_id == self.workspace_id, Member.is_admin.is_(True)
        )
        return sorted(self.session.scalars(query))

    def set_admins(self, user_ids: Iterable[str]) -> int:
        """Mark exactly `user_ids` as admins; return how many rows changed."""
        wanted = list(user_ids)
        statement = (
            update(table_of(Member))
            .where(Member.workspace_id == self.workspace_id)
            .where(Member.is_admin != Member.user_id.in_(wanted))
            .values(is_admin=Member.user_id.in_(wanted))
            .returning(Member.id)
        )
        return len(self.session.connection().execute(statement).all())

    # -- activity catalog ------------------------------------------------------------
    def activity_types(self, *, include_archived: bool = False) -> list[ActivityType]:
        query = select(ActivityType).where(ActivityType.workspace_id == self.workspace_id)
        if not include_archived:
            query = query.where(ActivityType.active.is_(True))
        return list(self.session.scalars(query.order_by(ActivityType.position, ActivityType.id)))

    def activity_type(self, activity_type_id: int) -> ActivityType | None:
        row = self.session.get(ActivityType, activity_type_id)  # usually already loaded
        return row if row is not None and row.workspace_id == self.workspace_id else None

    def add_activity_type(self, **values: Any) -> ActivityType:
        row = ActivityType(workspace_id=self.workspace_id, **values)
        self.session.add(row)
        return row

    # -- teams -------------------------------------------------------------------------
    def teams(self, *, include_archived: bool = False) -> list[Team]:
        query = select(Team).where(Team.workspace_id == self.workspace_id)
        if not include_archived:
            query = query.where(Team.active.is_(True))
        return list(self.session.scalars(query.order_by(Team.name)))

    def add_team(self, **values: Any) -> Team:
        row = Team(workspace_id=self.workspace_id, **values)
        self.session.add(row)
        self.session.flush()
        return row

    def memberships(self, team_id: int) -> list[TeamMembership]:
        query = select(TeamMembership).where(
            TeamMembership.workspace_id == self.workspace_id, TeamMembership.team_id == team_id
        )
        return list(self.session.scalars(query))

    def add_membership(self, team_id: int, user_id: str, role: str) -> None:
        self.session.add(
            TeamMembership(
                workspace_id=self.workspace_id, team_id=team_id, user_id=user_id, role=role
            )
        )

    def remove_membership(self, membership: TeamMembership) -> None:
        self.session.delete(membership)

    def teams_of(self, user_id: str) -> list[tuple[Team, str]]:
        """The active teams `user_id` belongs to, with their role, members before managers."""
        query = (
            select(Team, TeamMembership.role)
            .join(TeamMembership, TeamMembership.team_id == Team.id)
            .where(Team.workspace_id == self.workspace_id, Team.active.is_(True))
            .where(TeamMembership.user_id == user_id)
            .order_by(TeamMembership.role.desc(), Team.name)
        )
        return [(team, role) for team, role in self.session.execute(query)]

    def home_team(self, user_id: str) -> tuple[str, list[str]] | None:
        """The member's own team (the first they belong to, else the first they manage) and its
        members, in one query; None for someone in no team."""
        home = home_team(self.workspace_id, user_id).cte("home")
        others = TeamMembership.__table__
        query = select(home.c.name, others.c.user_id).select_from(
            home.outerjoin(others, (others.c.team_id == home.c.id) & (others.c.role == "member"))
        )
        rows = list(self.session.execute(query))
        if not rows:
            return None
        return rows[0][0], [member for _name, member in rows if member is not None]

    def team(self, team_id: int) -> Team | None:
        row = self.session.get(Team, team_id)
        return row if row is not None and row.workspace_id == self.workspace_id else None

    def managed_team_ids(self, user_id: str) -> list[int]:
        """Teams `user_id` manages."""
        query = select(TeamMembership.team_id).where(
            TeamMembership.workspace_id == self.workspace_id,
            TeamMembership.user_id == user_id,
            TeamMembership.role == "manager",
        )
        return list(self.session.scalars(query))

    def team_manager_ids(self, team_id: int) -> list[str]:
        query = select(TeamMembership.user_id).where(
            TeamMembership.workspace_id == self.workspace_id,
            TeamMembership.team_id == team_id,
            TeamMembership.role == "manager",
        )
        return list(self.session.scalars(query))

    def team_member_ids(self, team_id: int) -> list[str]:
        query = select(TeamMembership.user_id).where(
            TeamMembership.workspace_id == self.workspace_id,
            TeamMembership.team_id == team_id,
            TeamMembership.role == "member",
        )
        return list(self.session.scalars(query))

    # -- activity log ------------------------------------------------------------------
    def units_logged(
        self, user_id: str, activity_type_id: int, start: datetime, end: datetime
    ) -> int:
        query = select(func.coalesce(func.sum(ActivityLog.quantity), 0)).where(
            ActivityLog.workspace_id == self.workspace_id,
            ActivityLog.user_id == user_id,
            ActivityLog.activity_type_id == activity_type_id,
            ActivityLog.undone_at.is_(None),
            ActivityLog.logged_at >= start,
            ActivityLog.logged_at < end,
        )
        return int(self.session.scalar(query) or 0)

    def add_log(self, **values: Any) -> ActivityLog:
        """Insert a log entry; the returned copy is not tracked by the session. Duplicate when
        its request key was logged already (the transaction is then spent)."""
        row = {"workspace_id": self.workspace_id, "undone_at": None, **values}
        try:
            new_id = self.session.connection().execute(_ADD_LOG, row).scalar_one()
        except IntegrityError as error:
            if "request_key" in str(error.orig):
                raise Duplicate(
                    f"request {values.get('request_key')} was logged already"
                ) from error
            raise
        return ActivityLog(id=new_id, **row)

    def log(self, log_id: int) -> ActivityLog | None:
        query = select(ActivityLog).where(
            ActivityLog.workspace_id == self.workspace_id, ActivityLog.id == log_id
        )
        return self.session.scalars(query).one_or_none()

    def log_by_request_key(self, request_key: str) -> ActivityLog | None:
        query = select(ActivityLog).where(
            ActivityLog.workspace_id == self.workspace_id, ActivityLog.request_key == request_key
        )
        return self.session.scalars(query).one_or_none()

    def mark_undone(self, log_id: int, now: datetime) -> bool:
        """Set undone_at once; False when it was already set (so the caller reverses nothing)."""
        statement = (
            update(table_of(ActivityLog))
            .where(ActivityLog.workspace_id == self.workspace_id, ActivityLog.id == log_id)
            .where(ActivityLog.undone_at.is_(None))
            .values(undone_at=now)
            .returning(ActivityLog.id)
        )
        claimed = self.session.connection().execute(statement).first() is not None
        self.session.expire_all()
        return claimed

    def active_log_times(self, user_id: str, since: datetime) -> list[datetime]:
        query = select(ActivityLog.logged_at).where(
            ActivityLog.workspace_id == self.workspace_id,
            ActivityLog.user_id == user_id,
            ActivityLog.undone_at.is_(None),
            ActivityLog.logged_at >= since,
        )
        return list(self.session.scalars(query))

    # -- ledger ------------------------------------------------------------------------
    def timezone(self) -> ZoneInfo:
        """The workspace's calendar: the days of its rollups."""
        if self._timezone is None:
            workspace = self.workspace()
            return ZoneInfo(workspace.timezone if workspace is not None else "UTC")
        return ZoneInfo(self._timezone)

    def add_ledger_entry(self, *, logs: int = 0, **values: Any) -> bool:
        """Append a ledger entry and add it to its day's rollup, with `logs` as the change in
        the member's number of logs; False (and nothing added) when an entry with the same
        reason and reference exists."""
        row = {"workspace_id": self.workspace_id, **values}
        if not insert_ignoring_conflicts(self.session, LedgerEntry, row):
            return False
        points = int(values["points"])
        self._share_workspace()
        rollups.add(
            self.session.connection(),
            self.workspace_id,
            str(values["user_id"]),
            values["occurred_at"].astimezone(self.timezone()).date(),
            activity=points if values["category"] == ACTIVITY else 0,
            result=points if values["category"] == RESULT else 0,
            logs=logs,
        )
        return True

    def whole_days(self, start: datetime, end: datetime) -> tuple[date, date] | None:
        """The first and last day of the workspace's calendar that [start, end) covers exactly;
        None when either end is not a midnight there."""
        tz = self.timezone()
        first, after = start.astimezone(tz), end.astimezone(tz)
        if first.time() != time(0) or after.time() != time(0) or after <= first:
            return None
        return first.date(), after.date() - timedelta(days=1)

    def points_by_member(
        self, start: datetime, end: datetime, user_ids: Sequence[str] | None = None
    ) -> dict[str, tuple[int, int]]:
        """(activity points, result points) per member with entries in [start, end): from the
        daily rollups when the period is made of whole days of the workspace, else the ledger."""
        days = self.whole_days(start, end)
        if days is not None:
            return rollups.points_by_member(
                self.session.connection(), self.workspace_id, *days, user_ids
            )
        activity = func.sum(case((LedgerEntry.category == ACTIVITY, LedgerEntry.points), else_=0))
        result = func.sum(case((LedgerEntry.category == RESULT, LedgerEntry.points), else_=0))
        query = (
            select(LedgerEntry.user_id, activity, result)
            .where(
                and_(
                    LedgerEntry.workspace_id == self.workspace_id,
                    LedgerEntry.occurred_at >= start,
                    LedgerEntry.occurred_at < end,
                )
            )
            .group_by(LedgerEntry.user_id)
        )
        if user_ids is not None:
            query = query.where(LedgerEntry.user_id.in_(list(user_ids)))
        return {
            user: (int(act or 0), int(res or 0)) for user, act, res in self.session.execute(query)
        }

    def active_days(self, user_id: str, since: date) -> set[date]:
        """Days of the workspace's calendar from `since` on with a log that was not undone."""
        return rollups.active_days(self.session.connection(), self.workspace_id, user_id, since)

    def standing(self, user_id: str, today: date, week: tuple[date, date]) -> rollups.Standing:
        """The member's points today and this week, and their place in their home team (else
        the workspace) this week, in one query."""
        return rollups.standing(self.session.connection(), self.workspace_id, user_id, today, week)

    def rebuild_rollups(self, progress: rollups.Progress | None = None) -> int:
        """Recompute the daily rollups from the ledger; return how many entries were read."""
        self.session.flush()
        return rollups.rebuild(self.session.connection(), self.workspace_id, progress)

    def rollup_days(self) -> int:
        """How many (member, day) rollups the workspace has."""
        query = select(func.count()).where(DailyPoints.workspace_id == self.workspace_id)
        return int(self.session.scalar(query) or 0)

    # -- Slack event deduplication -----------------------------------------------------
    def claim_event(self, event_id: str, now: datetime) -> bool:
        """Record a Slack event id; False when it was seen before (a retry)."""
        values = {"workspace_id": self.workspace_id, "event_id": event_id, "received_at": now}
        return insert_ignoring_conflicts(self.session, ProcessedEvent, values)
