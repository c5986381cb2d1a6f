"""A workspace's members, teams and activity catalog."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from storage import rollups
from storage.home import home_team
from storage.models import (
    ActivityLog,
    Member,
    Membership,
    Team,
    TeamMembership,
    Workspace,
)
from storage.repo_base import (
    RepoBase,
    insert_ignoring_conflicts,
    locked_config_version,
    new_config_version,
    table_of,
)


class PeopleQueries(RepoBase):
    """Members, teams and the activity catalog of one workspace."""

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
