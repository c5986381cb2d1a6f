"""What the services ask of one workspace's people, catalog, log and points."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain.log_effects import LogEffect
from bot.services.ports.api import ApiRepository

if TYPE_CHECKING:
    from storage.activities import rollup_rebuild, standings_query
    from storage.models import (
        ActivityLog,
        ActivityType,
        Base,
        Member,
        Membership,
        Team,
        TeamMembership,
        Workspace,
    )


class WorkspaceRepository(ApiRepository, Protocol):
    """One workspace's members, teams, catalog, activity log, ledger and rollups."""

    workspace_id: str

    def active_days(self, user_id: str, since: date) -> set[date]:
        """Days of the workspace's calendar from `since` on with a log that was not undone."""
        ...

    def active_log_times(self, user_id: str, since: datetime) -> list[datetime]: ...

    def active_days_by_member(self, since: date) -> Iterator[tuple[str, list[date]]]:
        """Each member's days from `since` on with a log that was not undone, one at a time."""
        ...

    def activity_type(self, activity_type_id: int) -> ActivityType | None: ...

    def activity_types(self, *, include_archived: bool = False) -> list[ActivityType]: ...

    def counted_key_results(self) -> dict[int, tuple[int, ...]]:
        """Per activity type, the key results that count its units, in link order."""
        ...

    def add_activity_type(self, **values: Any) -> ActivityType: ...

    def add_ledger_entry(self, *, logs: int = 0, **values: Any) -> bool:
        """Append a ledger entry and add it to its day's and month's rollups."""
        ...

    def add_log_ledger_line(
        self, entry: ActivityLog, stand: tuple[date, tuple[date, date]] | None = None
    ) -> standings_query.Standing | None:
        """The ledger line of the log `entry` with its rollups; with `stand`, the standing"""
        ...

    def add_log(self, **values: Any) -> ActivityLog:
        """Insert a log entry; the returned copy is not tracked by the session. Duplicate when"""
        ...

    def add_member(
        self,
        user_id: str,
        now: datetime,
        timezone: str | None = None,
        is_admin: bool = False,
        *,
        profile_checked: bool = False,
        name: str | None = None,
    ) -> None: ...

    def add_membership(self, team_id: int, user_id: str, role: str) -> None: ...

    def add_team(self, **values: Any) -> Team: ...

    def admin_ids(self) -> list[str]: ...

    def all_memberships(self) -> list[Membership]: ...

    def entries_about(self, reasons: Sequence[str], reference: str) -> list[tuple[str, str, int]]:
        """(reason, reference, points) of the ledger entries with one of `reasons` whose
        reference is `reference` or starts with `reference:`, oldest first."""
        ...

    def set_event_answer(self, event_id: str, answer: dict[str, Any]) -> None:
        """Keep the answer the request with this key got."""
        ...

    def event_answer(self, event_id: str) -> dict[str, Any] | None:
        """The answer kept for the request with this key, if any."""
        ...

    def claim_event(self, event_id: str, now: datetime) -> bool:
        """Record a Slack event id; False when it was seen before (a retry)."""
        ...

    def create_workspace(self, timezone: str, now: datetime) -> bool:
        """Create the workspace row if missing; True when this call created it."""
        ...

    def favourite_activities(
        self, since: datetime, user_id: str | None = None
    ) -> dict[str, list[int]]:
        """Per member, activity type ids by units logged since `since`, most first."""
        ...

    def flush(self) -> None:
        """Send pending changes to the database now, so later queries in the transaction see them."""
        ...

    def home_team(self, user_id: str) -> tuple[str, list[str]] | None:
        """The member's own team (the first they belong to, else the first they manage) and its"""
        ...

    def lock_member(self, user_id: str) -> int | None:
        """Lock the member's row until the transaction ends (and share-lock the workspace's)"""
        ...

    def lock_member_and_add_log(
        self, expected_version: int, **values: Any
    ) -> tuple[int | None, ActivityLog | None]:
        """lock_member, then add_log if the setup's version is still `expected_version`."""
        ...

    def log_at_once(
        self,
        expected_version: int,
        today: date,
        week: tuple[date, date],
        effects: frozenset[LogEffect],
        **values: Any,
    ) -> tuple[int | None, ActivityLog | None, standings_query.Standing | None] | None:
        """lock_member_and_add_log, the ledger entry of an activity that moves no key result
        and the member's standing after it, in one statement that is a transaction of its
        own, before any other work of this unit of work. None where the database cannot
        (SQLite)."""
        ...

    def log(self, log_id: int) -> ActivityLog | None: ...

    def log_by_request_key(self, request_key: str) -> ActivityLog | None: ...

    def logged_since(self, user_id: str, since: datetime) -> bool:
        """Whether `user_id` has logged an activity (not undone) since `since`."""
        ...

    def managed_team_ids(self, user_id: str) -> list[int]:
        """Teams `user_id` manages."""
        ...

    def mark_undone(self, log_id: int, now: datetime) -> bool:
        """Set undone_at once; False when it was already set (so the caller reverses nothing)."""
        ...

    def member(self, user_id: str, *, lock: bool = False) -> Member | None: ...

    def member_ids(self) -> list[str]: ...

    def member_names(self, user_ids: Sequence[str] | None) -> dict[str, str]:
        """Names from members' Slack profiles, for those that have one (None: every member)."""
        ...

    def members(self) -> list[Member]: ...

    def members_to_refresh(self, checked_before: datetime, limit: int) -> list[str]:
        """Up to `limit` members whose Slack profile was never read, or not since `checked_before`."""
        ...

    def memberships(self, team_id: int) -> list[TeamMembership]: ...

    def points_by_member(
        self, start: datetime, end: datetime, user_ids: Sequence[str] | None = None
    ) -> dict[str, tuple[int, int]]:
        """(activity points, result points) per member with entries in [start, end): from the"""
        ...

    def rebuild_rollups(self, progress: rollup_rebuild.Progress | None = None) -> int:
        """Recompute the daily and monthly rollups from the ledger; return entries read."""
        ...

    def delete_everything(self) -> dict[str, int]:
        """Delete every row of the workspace, dependents first; return the count per table."""
        ...

    def renew_config_version(self) -> None:
        """Mark the workspace's setup as changed, so every process reloads its cached copy."""
        ...

    def reload(self, row: Base) -> None:
        """Read `row` again from the database (after a statement that changed it)."""
        ...

    def remove_membership(self, membership: TeamMembership) -> None: ...

    def rollup_days(self) -> int:
        """How many (member, day) rollups the workspace has."""
        ...

    def set_admins(self, user_ids: Iterable[str]) -> int:
        """Mark exactly `user_ids` as admins; return how many rows changed."""
        ...

    def standing(
        self, user_id: str, today: date, week: tuple[date, date]
    ) -> standings_query.Standing:
        """The member's points today and this week, and their place in their home team (else"""
        ...

    def team(self, team_id: int) -> Team | None: ...

    def team_manager_ids(self, team_id: int) -> list[str]: ...

    def team_member_ids(self, team_id: int) -> list[str]: ...

    def teams(self, *, include_archived: bool = False) -> list[Team]: ...

    def teams_of(self, user_id: str) -> list[tuple[Team, str]]:
        """The active teams `user_id` belongs to, with their role, members before managers."""
        ...

    def timezone(self) -> ZoneInfo:
        """The workspace's calendar: the days of its rollups."""
        ...

    def calendar(self) -> ZoneInfo:
        """The workspace's timezone, read with the workspace's share lock (kept until the
        transaction ends), for a write whose key depends on the workspace's calendar."""
        ...

    def units_logged(
        self, user_id: str, activity_type_id: int, start: datetime, end: datetime
    ) -> int: ...

    def workspace(self) -> Workspace | None: ...
