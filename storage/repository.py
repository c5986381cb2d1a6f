"""Queries, each scoped to one workspace by construction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Engine,
    Table,
    and_,
    case,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import Duplicate
from bot.domain.log_effects import LogEffect
from bot.domain.schedule import CLAIMED, PENDING, SKIPPED
from storage.activities import (
    log_at_once,
    log_writes,
    rollup_rebuild,
    rollup_writes,
    rollups,
    standings_query,
)
from storage.home import home_team
from storage.models import (
    ACTIVITY,
    RESULT,
    ActivityLink,
    ActivityLog,
    ActivityType,
    ApiRequest,
    ApiToken,
    Base,
    DailyPoints,
    HeldHook,
    LedgerEntry,
    Member,
    Membership,
    ProcessedEvent,
    ScheduledSend,
    Team,
    TeamMembership,
    WebhookDelivery,
    WebhookSubscription,
    Workspace,
)
from storage.single_statement import single_statement_engine
from storage.statements import (
    insert_ignoring_conflicts,
    locked_config_version,
    new_config_version,
    table_of,
)


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


# slack_sdk's installation store keeps these; the workspace's rows go with it.
INSTALLATION_TABLES = ("slack_bots", "slack_installations")
HELD_LIMIT = 1000  # held CRM payloads kept per workspace, waiting for a retry


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

    def workspace(self) -> Workspace | None:
        return self.session.get(Workspace, self.workspace_id)

    def renew_config_version(self) -> None:
        """Mark the workspace's setup as changed, so every process reloads its cached copy."""
        workspace = self.workspace()
        assert workspace is not None
        workspace.config_version = new_config_version()

    def timezone(self) -> ZoneInfo:
        """The workspace's calendar: the days of its rollups. Once this transaction holds the
        workspace's share lock, the zone read with it."""
        known = self.session.info.get(("workspace timezone", self.workspace_id), self._timezone)
        if known is None:
            workspace = self.workspace()
            known = workspace.timezone if workspace is not None else "UTC"
        return ZoneInfo(known)

    def calendar(self) -> ZoneInfo:
        """The workspace's timezone read with its share lock, held until the transaction
        ends: an import that moves the workspace waits for this transaction, or this one
        reads the zone that import set (PostgreSQL)."""
        self._share_workspace()
        return self.timezone()

    def _note_shared(self) -> None:
        """Record that this transaction holds the workspace's share lock (taken by the
        statement that locked the member), so _share_workspace does not take it again."""
        self.session.info[("workspace shared", self.workspace_id)] = True

    def _share_workspace(self) -> None:
        """Share-lock the workspace row once per transaction before touching rollups, so a
        rebuild (which locks it exclusively) never runs beside a rollup write (PostgreSQL;
        SQLite writes one transaction at a time). The timezone is read with the lock: an
        import that moved the workspace while this transaction waited has committed by then,
        and a copy of the row read before the lock may hold the old zone."""
        key = ("workspace shared", self.workspace_id)
        if self.session.info.get(key) or self.session.get_bind().dialect.name != "postgresql":
            return
        query = select(Workspace.timezone).where(Workspace.id == self.workspace_id)
        zone = self.session.connection().execute(query.with_for_update(read=True)).scalar()
        self.session.info[key] = True
        if zone is not None:
            self.session.info[("workspace timezone", self.workspace_id)] = zone

    # -- workspace and members ---------------------------------------------------------
    def create_workspace(self, timezone: str, now: datetime) -> bool:
        """Create the workspace row if missing; True when this call created it."""
        values = {"id": self.workspace_id, "timezone": timezone, "created_at": now}
        values["config_version"] = new_config_version()
        return insert_ignoring_conflicts(self.session, Workspace, values)

    def lock_member(self, user_id: str) -> int | None:
        """Lock the member's row until the transaction ends (and share-lock the workspace's)
        and return the workspace's configuration version; None when the member (or the
        workspace) is not known yet."""
        version = locked_config_version(self.session.connection(), self.workspace_id, user_id)
        if version is not None:
            self._note_shared()
        return version

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

    def member_names(self, user_ids: Sequence[str] | None) -> dict[str, str]:
        """Names from Slack profiles, where set: of `user_ids`, or of every member with None."""
        if user_ids is not None and not user_ids:
            return {}
        query = select(Member.user_id, Member.name).where(
            Member.workspace_id == self.workspace_id, Member.name.is_not(None)
        )
        if user_ids is not None:
            query = query.where(Member.user_id.in_(list(user_ids)))
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

    def all_memberships(self) -> list[Membership]:
        """Every membership of every team, as plain values (no ORM objects to keep)."""
        columns = (TeamMembership.team_id, TeamMembership.user_id, TeamMembership.role)
        query = select(*columns).where(TeamMembership.workspace_id == self.workspace_id)
        return [Membership(*row) for row in self.session.execute(query)]

    def logged_since(self, user_id: str, since: datetime) -> bool:
        """Whether `user_id` has logged an activity (not undone) since `since`."""
        query = select(ActivityLog.id).where(
            ActivityLog.workspace_id == self.workspace_id,
            ActivityLog.user_id == user_id,
            ActivityLog.undone_at.is_(None),
            ActivityLog.logged_at >= since,
        )
        return self.session.scalar(query.limit(1)) is not None

    def active_days_by_member(self, since: date) -> Iterator[tuple[str, list[date]]]:
        """Each member's days of the workspace's calendar from `since` on with a log that was
        not undone, one member at a time."""
        return rollups.active_days_by_member(self.session.connection(), self.workspace_id, since)

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

    # -- activity catalog ------------------------------------------------------------
    def activity_types(self, *, include_archived: bool = False) -> list[ActivityType]:
        query = select(ActivityType).where(ActivityType.workspace_id == self.workspace_id)
        if not include_archived:
            query = query.where(ActivityType.active.is_(True))
        return list(self.session.scalars(query.order_by(ActivityType.position, ActivityType.id)))

    def activity_type(self, activity_type_id: int) -> ActivityType | None:
        row = self.session.get(ActivityType, activity_type_id)  # usually already loaded
        return row if row is not None and row.workspace_id == self.workspace_id else None

    def counted_key_results(self) -> dict[int, tuple[int, ...]]:
        """Per activity type, the key results that count its units, in link order."""
        query = select(ActivityLink.activity_type_id, ActivityLink.key_result_id).where(
            ActivityLink.workspace_id == self.workspace_id, ActivityLink.role == "counts"
        )
        counted: dict[int, list[int]] = {}
        for activity, kr in self.session.execute(query.order_by(ActivityLink.id)):
            counted.setdefault(activity, []).append(kr)
        return {activity: tuple(krs) for activity, krs in counted.items()}

    def add_activity_type(self, **values: Any) -> ActivityType:
        row = ActivityType(workspace_id=self.workspace_id, **values)
        self.session.add(row)
        return row

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
        return ActivityLog(id=log_writes.add_log(self.session.connection(), row), **row)

    def lock_member_and_add_log(
        self, expected_version: int, **values: Any
    ) -> tuple[int | None, ActivityLog | None]:
        """lock_member, then add_log if the setup's version is still `expected_version`.

        One statement on PostgreSQL. Returns the version read, and the entry or None when
        none was added (the member is not known, or the setup changed)."""
        row = {"workspace_id": self.workspace_id, "undone_at": None, **values}
        connection = self.session.connection()
        version, new_id = log_writes.lock_member_and_add_log(connection, row, expected_version)
        if version is not None:
            self._note_shared()
        return version, None if new_id is None else ActivityLog(id=new_id, **row)

    def log_at_once(
        self,
        expected_version: int,
        today: date,
        week: tuple[date, date],
        effects: frozenset[LogEffect],
        **values: Any,
    ) -> tuple[int | None, ActivityLog | None, standings_query.Standing | None] | None:
        """PostgreSQL: lock_member_and_add_log, the ledger entry and the standing after it,
        as one statement on a connection of its own (storage.single_statement), before any
        work of this unit of work. `today`: the local day of `logged_at`. None, having done
        nothing, elsewhere, and for a log with `effects` the statement does not perform."""
        if not effects <= log_at_once.PERFORMS:
            return None
        engine = self.session.get_bind()
        single = single_statement_engine(engine) if isinstance(engine, Engine) else None
        if single is None:
            return None
        if self.session.in_transaction():  # its locks would make the statement wait forever
            raise RuntimeError("log_at_once commits itself: it cannot join a transaction")
        row = {"workspace_id": self.workspace_id, **values}
        with single.connect() as connection:
            version, new_id, standing = log_at_once.log_at_once(
                connection, row, expected_version, today, week=week
            )
        entry = None if new_id is None else ActivityLog(id=new_id, undone_at=None, **row)
        return version, entry, standing

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
    def add_ledger_entry(self, *, logs: int = 0, **values: Any) -> bool:
        """Append a ledger entry and add it to its day's and month's rollups, with `logs` as
        the change in the member's number of logs; False (and nothing added) when an entry
        with the same reason and reference exists."""
        self._share_workspace()
        return rollup_writes.add_entry(self.session.connection(), *self._entry(values, logs))

    def add_log_ledger_line(
        self, entry: ActivityLog, stand: tuple[date, tuple[date, date]] | None = None
    ) -> standings_query.Standing | None:
        """The ledger line of the log `entry` (log_writes.ledger_line) with its rollups; with
        `stand` (today, and this week's first and last day), the member's standing after it:
        one statement on PostgreSQL."""
        self._share_workspace()
        connection = self.session.connection()
        line = log_writes.ledger_line(entry.id, entry.user_id, entry.points, entry.logged_at)
        row = {"workspace_id": self.workspace_id, **line}
        rollup = log_writes.log_rollup(
            entry.points, entry.logged_at.astimezone(self.timezone()).date()
        )
        if stand is None:
            rollup_writes.add_entry(connection, row, rollup)
            return None
        if connection.dialect.name != "postgresql":
            rollup_writes.add_entry(connection, row, rollup)
            return self.standing(entry.user_id, *stand)
        return standings_query.standing_after_entry(
            connection,
            self.workspace_id,
            entry.user_id,
            stand[0],
            week=stand[1],
            entry=row | rollup,
        )

    def _entry(self, values: dict[str, Any], logs: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ledger row of `values`, and what it adds to its day's and month's rollups."""
        points, category = int(values["points"]), values["category"]
        return {"workspace_id": self.workspace_id, **values}, rollup_writes.rollup_values(
            values["occurred_at"].astimezone(self.timezone()).date(),
            activity=points if category == ACTIVITY else 0,
            result=points if category == RESULT else 0,
            logs=logs,
        )

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
        rollups (whole months from the monthly ones) when the period is made of whole days of
        the workspace, else the ledger."""
        days = self.whole_days(start, end)
        if days is not None:
            return rollups.points_by_member(
                self.session.connection(), self.workspace_id, *days, user_ids=user_ids
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

    def standing(
        self, user_id: str, today: date, week: tuple[date, date]
    ) -> standings_query.Standing:
        """The member's points today and this week, and their place in their home team (else
        the workspace) this week, in one query."""
        return standings_query.standing(
            self.session.connection(), self.workspace_id, user_id, today, week=week
        )

    def rebuild_rollups(self, progress: rollup_rebuild.Progress | None = None) -> int:
        """Recompute the daily and monthly rollups from the ledger; return entries read."""
        self.session.flush()
        # A zone read with the share lock is not this transaction's any more.
        self.session.info.pop(("workspace timezone", self.workspace_id), None)
        return rollup_rebuild.rebuild(self.session.connection(), self.workspace_id, progress)

    def rollup_days(self) -> int:
        """How many (member, day) rollups the workspace has."""
        query = select(func.count()).where(DailyPoints.workspace_id == self.workspace_id)
        return int(self.session.scalar(query) or 0)

    # -- Slack event deduplication -----------------------------------------------------
    def entries_about(self, reasons: Sequence[str], reference: str) -> list[tuple[str, str, int]]:
        """(reason, reference, points) of the ledger entries with one of `reasons` whose
        reference is `reference` or starts with `reference:` (its later rounds), oldest first."""
        query = (
            select(LedgerEntry.reason, LedgerEntry.reference, LedgerEntry.points)
            .where(
                LedgerEntry.workspace_id == self.workspace_id,
                LedgerEntry.reason.in_(list(reasons)),
                or_(
                    LedgerEntry.reference == reference,
                    LedgerEntry.reference.startswith(f"{reference}:"),
                ),
            )
            .order_by(LedgerEntry.id)
        )
        return [(str(r), str(ref), int(p)) for r, ref, p in self.session.execute(query)]

    def set_event_answer(self, event_id: str, answer: dict[str, Any]) -> None:
        """Keep the answer the request with this key got."""
        self.session.execute(
            update(ProcessedEvent)
            .where(
                ProcessedEvent.workspace_id == self.workspace_id,
                ProcessedEvent.event_id == event_id,
            )
            .values(answer=answer)
        )

    def event_answer(self, event_id: str) -> dict[str, Any] | None:
        """The answer kept for the request with this key, if any."""
        return self.session.scalar(
            select(ProcessedEvent.answer).where(
                ProcessedEvent.workspace_id == self.workspace_id,
                ProcessedEvent.event_id == event_id,
            )
        )

    def claim_event(self, event_id: str, now: datetime) -> bool:
        """Record a Slack event id; False when it was seen before (a retry)."""
        values = {"workspace_id": self.workspace_id, "event_id": event_id, "received_at": now}
        return insert_ignoring_conflicts(self.session, ProcessedEvent, values)

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

    def add_api_token(
        self, name: str, token_hash: str, hint: str, scopes: Sequence[str], *, now: datetime
    ) -> ApiToken:
        token = ApiToken(
            workspace_id=self.workspace_id,
            name=name,
            token_hash=token_hash,
            hint=hint,
            scopes=list(scopes),
            created_at=now,
        )
        self.session.add(token)
        self.session.flush()
        return token

    def api_tokens(self) -> list[ApiToken]:
        query = select(ApiToken).where(ApiToken.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(ApiToken.id)))

    def revoke_api_token(self, token_id: int, now: datetime) -> bool:
        """Revoke a live token of this workspace; False when there is none with that id."""
        statement = (
            update(table_of(ApiToken))
            .where(ApiToken.workspace_id == self.workspace_id, ApiToken.id == token_id)
            .where(ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiToken.id)
        )
        return self.session.connection().execute(statement).first() is not None

    def api_request(self, token_id: int, key: str) -> ApiRequest | None:
        query = select(ApiRequest).where(
            ApiRequest.workspace_id == self.workspace_id,
            ApiRequest.token_id == token_id,
            ApiRequest.key == key,
        )
        return self.session.scalars(query).one_or_none()

    def add_api_request(self, token_id: int, key: str, body_hash: str, **answer: Any) -> None:
        """Keep a POST's answer under its Idempotency-Key; Duplicate when another request
        with the same key got there first (the transaction is then spent)."""
        self.session.add(
            ApiRequest(
                workspace_id=self.workspace_id,
                token_id=token_id,
                key=key,
                body_hash=body_hash,
                status=answer["status"],
                answer=answer["answer"],
                created_at=answer["now"],
            )
        )
        try:
            self.session.flush()
        except IntegrityError as error:
            raise Duplicate(f"Idempotency-Key {key} is in use") from error

    def complete_api_request(
        self, token_id: int, key: str, status: int, answer: dict[str, Any]
    ) -> None:
        statement = (
            update(table_of(ApiRequest))
            .where(
                ApiRequest.workspace_id == self.workspace_id,
                ApiRequest.token_id == token_id,
                ApiRequest.key == key,
            )
            .values(status=status, answer=answer)
        )
        self.session.execute(statement)

    def drop_api_request(self, token_id: int, key: str) -> None:
        statement = delete(ApiRequest).where(
            ApiRequest.workspace_id == self.workspace_id,
            ApiRequest.token_id == token_id,
            ApiRequest.key == key,
        )
        self.session.execute(statement)

    def forget_api_requests(self, before: datetime) -> int:
        statement = delete(ApiRequest).where(
            ApiRequest.workspace_id == self.workspace_id, ApiRequest.created_at < before
        )
        return int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def activity_page(
        self,
        users: Sequence[str] | None,
        since: datetime,
        until: datetime,
        after: int,
        *,
        size: int,
    ) -> list[tuple[ActivityLog, str]]:
        """Logs not undone in [since, until), oldest first, after the log with id `after`;
        each with its activity's key."""
        query = (
            select(ActivityLog, ActivityType.key)
            .join(ActivityType, ActivityType.id == ActivityLog.activity_type_id)
            .where(
                ActivityLog.workspace_id == self.workspace_id,
                ActivityLog.undone_at.is_(None),
                ActivityLog.logged_at >= since,
                ActivityLog.logged_at < until,
                ActivityLog.id > after,
            )
        )
        if users is not None:
            query = query.where(ActivityLog.user_id.in_(list(users)))
        rows = self.session.execute(query.order_by(ActivityLog.id).limit(size))
        return [(log, key) for log, key in rows]

    def hold_hook(self, source: str, payload: str, problem: str, now: datetime) -> int | None:
        """Hold a payload that could not be logged; None when HELD_LIMIT are waiting."""
        waiting = self.session.scalar(
            select(func.count())
            .select_from(HeldHook)
            .where(HeldHook.workspace_id == self.workspace_id, HeldHook.logged_at.is_(None))
        )
        if (waiting or 0) >= HELD_LIMIT:
            return None
        row = HeldHook(
            workspace_id=self.workspace_id,
            source=source,
            payload=payload,
            problem=problem,
            received_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def held_hooks(self, ids: Sequence[int] | None = None) -> list[HeldHook]:
        """Held payloads not logged yet, oldest first (only `ids`, when given)."""
        query = select(HeldHook).where(
            HeldHook.workspace_id == self.workspace_id, HeldHook.logged_at.is_(None)
        )
        if ids is not None:
            query = query.where(HeldHook.id.in_(list(ids)))
        return list(self.session.scalars(query.order_by(HeldHook.id)))

    def add_subscription(
        self, url: str, events: Sequence[str], secret: str, now: datetime
    ) -> WebhookSubscription:
        row = WebhookSubscription(
            workspace_id=self.workspace_id,
            url=url,
            events=list(events),
            secret=secret,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def subscriptions(self, *, live_only: bool = True) -> list[WebhookSubscription]:
        query = select(WebhookSubscription).where(
            WebhookSubscription.workspace_id == self.workspace_id
        )
        if live_only:
            query = query.where(WebhookSubscription.revoked_at.is_(None))
        return list(self.session.scalars(query.order_by(WebhookSubscription.id)))

    def revoke_subscription(self, subscription_id: int, now: datetime) -> bool:
        statement = (
            update(table_of(WebhookSubscription))
            .where(
                WebhookSubscription.workspace_id == self.workspace_id,
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(WebhookSubscription.id)
        )
        if self.session.connection().execute(statement).first() is None:
            return False
        unsent = (
            update(table_of(WebhookDelivery))
            .where(
                WebhookDelivery.workspace_id == self.workspace_id,
                WebhookDelivery.subscription_id == subscription_id,
                WebhookDelivery.status.in_(["pending", "sending"]),
            )
            .values(status="failed", last_error="the subscription was removed")
        )
        self.session.execute(unsent)
        return True

    def queue_event(
        self,
        subscription_ids: Sequence[int],
        event_type: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        """Queue `payload` for each subscription, in one statement."""
        rows = [
            {
                "workspace_id": self.workspace_id,
                "subscription_id": subscription_id,
                "message_id": "msg_" + secrets.token_hex(12),
                "event_type": event_type,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for subscription_id in subscription_ids
        ]
        if rows:
            self.session.connection().execute(insert(table_of(WebhookDelivery)), rows)

    def emit(
        self,
        event_type: str,
        data: dict[str, Any],
        now: datetime,
        subscribers: Sequence[tuple[int, Sequence[str]]] | None = None,
    ) -> None:
        """Queue an event for the subscriptions that want it (`subscribers`, when the caller
        knows them, saves reading them)."""
        if subscribers is None:
            subscribers = [(s.id, s.events) for s in self.subscriptions()]
        wanted = [id_ for id_, events in subscribers if event_type in events]
        envelope = {"type": event_type, "timestamp": now.isoformat(), "data": data}
        self.queue_event(wanted, event_type, envelope, now)

    def deliveries(self) -> list[WebhookDelivery]:
        query = select(WebhookDelivery).where(WebhookDelivery.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(WebhookDelivery.id)))


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
