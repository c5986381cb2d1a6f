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
    values = {"workspace": workspace_id, "user": user_id, "today": today}
    values |= {"first": week[0], "last": week[1]}
    row = connection.execute(_standing_query(False), values).one()
    return _standing(*row)


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
    if entry["day"] != today or not week[0] <= today <= week[1]:
        raise ValueError("standing_after_entry reads an entry of today, in this week")
    values = {"workspace": workspace_id, "user": user_id, "today": today}
    values |= {"first": week[0], "last": week[1]}
    return _standing(*connection.execute(_standing_query(True), entry | values).one())


def _standing(*row: Any) -> Standing:
    team, in_scope, size, week_points, today_points, above = row
    return Standing(
        team, bool(in_scope), int(size), int(week_points), int(today_points), int(above)
    )


@cache
def _standing_query(after_entry: bool) -> Select[Any]:
    """The statement behind `standing`, built once: only its parameters change. After an
    entry of today, whose write the statement's reads do not see, the member's today is the
    day's total the write returns, and their week the rest of the week plus that."""
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
    my_today = total(DAILY.c.workspace_id == workspace, DAILY.c.day == bindparam("today"), mine)
    written = entry_with_rollup_cte() if after_entry else None
    if written is not None:
        day_total = func.coalesce(select(written.c.day_total).scalar_subquery(), my_today)
        my_week, my_today = my_week - my_today + day_total, day_total
    return select(
        select(home.c.name).scalar_subquery(),
        exists(select(scope.c.user_id).where(scope.c.user_id == user)),
        select(func.count()).select_from(scope).scalar_subquery(),
        my_week,
        my_today,
        select(func.count())
        .select_from(week_totals)
        .where(week_totals.c.total > my_week, week_totals.c.user_id != user)
        .scalar_subquery(),
    )
