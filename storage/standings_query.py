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
    values = {"workspace": workspace_id, "user": user_id, "today": today}
    values |= {"first": week[0], "last": week[1]}
    team, in_scope, size, week_points, today_points, above = connection.execute(
        _standing_query(), values
    ).one()
    return Standing(
        team, bool(in_scope), int(size), int(week_points), int(today_points), int(above)
    )


@cache
def _standing_query() -> Select[Any]:
    """The statement behind `standing`, built once: only its parameters change."""
    workspace: Any = bindparam("workspace")
    user: Any = bindparam("user")
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
    in_week = (
        DAILY.c.workspace_id == workspace,
        DAILY.c.day >= bindparam("first"),
        DAILY.c.day <= bindparam("last"),
    )
    points = DAILY.c.activity_points + DAILY.c.result_points
    week_totals = (
        select(DAILY.c.user_id, func.sum(points).label("total"))
        .where(*in_week, DAILY.c.user_id.in_(select(scope.c.user_id)))
        .group_by(DAILY.c.user_id)
        .cte("week_totals")
    )
    mine = DAILY.c.user_id == user

    def total(*where: Any) -> Any:
        return select(func.coalesce(func.sum(points), 0)).where(*where).scalar_subquery()

    my_week = total(*in_week, mine)
    return select(
        select(home.c.name).scalar_subquery(),
        exists(select(scope.c.user_id).where(scope.c.user_id == user)),
        select(func.count()).select_from(scope).scalar_subquery(),
        my_week,
        total(DAILY.c.workspace_id == workspace, DAILY.c.day == bindparam("today"), mine),
        select(func.count())
        .select_from(week_totals)
        .where(week_totals.c.total > my_week)
        .scalar_subquery(),
    )
