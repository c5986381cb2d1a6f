"""A workspace's activity log, points ledger, rollups and handled deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select, update

from bot.domain.log_effects import LogEffect
from storage import log_at_once, log_writes, rollup_rebuild, rollup_writes, rollups, standings_query
from storage.models import (
    ACTIVITY,
    RESULT,
    ActivityLink,
    ActivityLog,
    ActivityType,
    DailyPoints,
    LedgerEntry,
    ProcessedEvent,
)
from storage.repo_base import RepoBase, insert_ignoring_conflicts, table_of
from storage.single_statement import single_statement_engine


class PointsQueries(RepoBase):
    """The activity log, the ledger and its rollups, and Slack deliveries of one workspace."""

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
