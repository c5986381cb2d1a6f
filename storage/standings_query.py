"""One member's figures for the `/log` reply, from the daily rollups in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    case,
    exists,
    func,
    select,
    union,
)

from storage.home import home_team
from storage.models import (
    Member,
    TeamMembership,
)
from storage.rollup_writes import entry_with_rollup_cte
from storage.rollups import DAILY


@dataclass(frozen=True)
class Standing:
    """One member's figures: today, this week, and this week's place in their scope."""

    team: str | None  # their home team; None when they are in none (scope: the workspace)
    in_scope: bool  # False for a manager whose home team is one they only manage
    size: int
    week: int
    today: int
    above: int  # members of the scope with more points this week


def standing(
    connection: Connection, workspace_id: str, user_id: str, today: date, week: tuple[date, date]
) -> Standing:
    """`user_id`'s figures from the rollups, in one statement. The scope is their home team's
    members (storage.home) or, for someone in no team, every member of the workspace."""
    values = _values(workspace_id, user_id, today, week)
    return _standing(*connection.execute(_standing_query(False), values).one())


def standing_after_entry(
    connection: Connection,
    workspace_id: str,
    user_id: str,
    today: date,
    week: tuple[date, date],
    entry: dict[str, Any],
) -> Standing:
    """PostgreSQL: write `entry` (the parameters of rollup_writes.add_entry, for `user_id`,
    on `today`) and read `standing` with it counted, in one statement."""
    if entry["day"] != today:
        raise ValueError("standing_after_entry reads an entry of today")
    values = entry | _values(workspace_id, user_id, today, week)
    return _standing(*connection.execute(_standing_query(True), values).one())


def _values(
    workspace_id: str, user_id: str, today: date, week: tuple[date, date]
) -> dict[str, Any]:
    """The parameters of _standing_query; `today` must be a day of `week`."""
    if not week[0] <= today <= week[1]:
        raise ValueError("a standing reads a day of the week it is given")
    return {
        "workspace": workspace_id,
        "user": user_id,
        "today": today,
        "first": week[0],
        "last": week[1],
    }


def _standing(*row: Any) -> Standing:
    team, in_scope, size, week_points, today_points, above = row
    return Standing(
        team, bool(in_scope), int(size), int(week_points), int(today_points), int(above)
    )


@cache
def _standing_query(after_entry: bool) -> Select[Any]:
    """The statement behind `standing`, built once: only its parameters change. After an
    entry of today, whose write the statement's reads do not see, the member's today is the
    day's total the write returns, and their week the week's other days plus that. (It is
    kept short: psycopg caches the conversion of statements under 4 kB only.)"""
    workspace: Any = bindparam("workspace")
    user: Any = bindparam("user")
    today: Any = bindparam("today")
    memberships, members = TeamMembership.__table__, Member.__table__
    home = home_team(workspace, user).cte("home")
    scope = union(
        select(memberships.c.user_id).where(
            memberships.c.team_id.in_(select(home.c.id)), memberships.c.role == "member"
        ),
        select(members.c.user_id).where(
            members.c.workspace_id == workspace, ~exists(select(home.c.id))
        ),
    ).cte("scope")
    daily = DAILY.alias("d")
    points = daily.c.activity_points + daily.c.result_points
    in_week = (
        daily.c.workspace_id == workspace,
        daily.c.day >= bindparam("first"),
        daily.c.day <= bindparam("last"),
    )
    week_totals = (
        select(daily.c.user_id, func.sum(points).label("total"))
        .where(*in_week, daily.c.user_id.in_(select(scope.c.user_id)))
        .group_by(daily.c.user_id)
        .cte("week_totals")
    )

    def days(when: Any) -> Any:
        return func.coalesce(func.sum(case((when, points))), 0)

    mine = (
        select(days(daily.c.day == today).label("today"), days(daily.c.day != today).label("rest"))
        .where(*in_week, daily.c.user_id == user)
        .cte("mine")
    )
    my_today: Any = mine.c.today
    if after_entry:
        written = entry_with_rollup_cte()
        my_today = func.coalesce(select(written.c.day_total).scalar_subquery(), my_today)
    my_week = mine.c.rest + my_today
    return select(
        select(home.c.name).scalar_subquery(),
        exists(select(scope.c.user_id).where(scope.c.user_id == user)),
        select(func.count()).select_from(scope).scalar_subquery(),
        my_week,
        my_today,
        select(func.count())
        .select_from(week_totals)
        .where(week_totals.c.total > my_week, week_totals.c.user_id != user)
        .correlate(mine)
        .scalar_subquery(),
    ).select_from(mine)
