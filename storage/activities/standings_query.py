"""One member's figures for the `/log` reply, from the daily rollups in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    Connection,
    Select,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)

from storage.activities.rollup_writes import entry_with_rollup_cte
from storage.activities.rollups import DAILY
from storage.home import home_team
from storage.models import (
    Member,
    TeamMembership,
)


@dataclass(frozen=True, kw_only=True)
class Standing:
    """One member's figures: today, this week, and this week's place in their scope."""

    team: str | None  # their home team; None when they are in none (scope: the workspace)
    in_scope: bool  # False for a manager whose home team is one they only manage
    size: int  # how many of the scope are ranked: those with points this week
    week: int
    today: int
    above: int  # members of the scope with more points this week


def standing(
    connection: Connection, workspace_id: str, user_id: str, today: date, *, week: tuple[date, date]
) -> Standing:
    """`user_id`'s figures from the rollups, in one statement. The scope is their home team's
    members (storage.home) or, for someone in no team, every member of the workspace."""
    values = standing_values(workspace_id, user_id, today, week)
    return _standing(*connection.execute(standing_query(None), values).one())


def standing_after_entry(
    connection: Connection,
    workspace_id: str,
    user_id: str,
    today: date,
    *,
    week: tuple[date, date],
    entry: dict[str, Any],
) -> Standing:
    """PostgreSQL: write `entry` (the parameters of rollup_writes.add_entry, for `user_id`,
    on `today`) and read `standing` with it counted, in one statement."""
    if entry["day"] != today:
        raise ValueError("standing_after_entry reads an entry of today")
    values = entry | standing_values(workspace_id, user_id, today, week)
    return _standing(*connection.execute(standing_query(entry_with_rollup_cte()), values).one())


def standing_values(
    workspace_id: str, user_id: str, today: date, week: tuple[date, date]
) -> dict[str, Any]:
    """The parameters of the standing queries; `today` must be a day of `week`."""
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
        team=team,
        in_scope=bool(in_scope),
        size=int(size),
        week=int(week_points),
        today=int(today_points),
        above=int(above),
    )


def _scope(workspace: Any, user: Any) -> tuple[CTE, Any, CTE, Select[Any]]:
    """The parts of standing_query that say whom `user` is ranked among: their home team
    (a CTE), the condition that they have none, their team's members (a CTE), and every
    member of the workspace when they have no team (else no one)."""
    memberships, members = TeamMembership.__table__, Member.__table__
    home = home_team(workspace, user).cte("home")
    no_home = ~exists(select(home.c.id))
    team = (
        select(memberships.c.user_id)
        .where(memberships.c.team_id.in_(select(home.c.id)))
        .where(memberships.c.role == literal_column("'member'"))
        .cte("team")
    )
    # The workspace as one row for someone in no team, else no row: what reads it reads
    # nothing for a member of a team (SQLite would test "in no team" row after row).
    alone = select(workspace.label("id")).where(no_home).cte("alone")
    everyone = select(members.c.user_id).where(members.c.workspace_id.in_(select(alone.c.id)))
    return home, no_home, team, everyone


def standing_of(row: Sequence[Any]) -> Standing:
    """The Standing in the first six columns of a row of standing_query."""
    return _standing(*row[:6])


@cache
def standing_query(written: CTE | None) -> Select[Any]:
    """The statement behind `standing`, built once: only its parameters change. On
    PostgreSQL it may follow `written`, the write of an entry of today (a CTE like
    rollup_writes.entry_with_rollup_cte, with a row only when the entry went in), which its
    reads do not see: the member's today is then the day's total the write returns, and
    their week the week's other days plus that.

    The scope's week totals come from one of two branches, whichever has rows: the home
    team's members, each read by key; or, for someone in no team, the whole workspace's
    week in one pass (read member by member, a workspace of 10,000 took 55 ms, against 22).
    It is kept short (psycopg caches the conversion of statements under 4 kB only), so a
    few constants are written out rather than bound."""
    workspace: Any = bindparam("workspace")
    user: Any = bindparam("user")
    today: Any = bindparam("today")
    home, no_home, team, everyone = _scope(workspace, user)
    daily = DAILY.alias("d")
    points = daily.c.activity_points + daily.c.result_points
    in_week = (
        daily.c.workspace_id == workspace,
        daily.c.day >= bindparam("first"),
        daily.c.day <= bindparam("last"),
    )

    def totals(*where: Any) -> Select[Any]:
        return select(daily.c.user_id, func.sum(points).label("total")).where(*in_week, *where)

    week_totals = union_all(
        totals(daily.c.user_id.in_(select(team.c.user_id))).group_by(daily.c.user_id),
        totals(daily.c.user_id.in_(everyone)).group_by(daily.c.user_id),
    ).cte("totals")

    def days(when: Any) -> Any:
        return func.coalesce(func.sum(case((when, points))), literal_column("0"))

    mine = (
        select(days(daily.c.day == today).label("today"), days(daily.c.day != today).label("rest"))
        .where(*in_week, daily.c.user_id == user)
        .cte("mine")
    )
    my_today: Any = mine.c.today
    if written is not None:
        my_today = func.coalesce(select(written.c.day_total).scalar_subquery(), my_today)
    my_week = mine.c.rest + my_today
    return select(
        select(home.c.name).scalar_subquery(),
        or_(no_home, exists(select(team.c.user_id).where(team.c.user_id == user))),
        select(func.count())  # those ranked: the others with points, and them if they have
        .select_from(week_totals)
        .where(week_totals.c.total > 0, week_totals.c.user_id != user)
        .scalar_subquery()
        + case((my_week > 0, 1), else_=0),
        my_week,
        my_today,
        select(func.count())
        .select_from(week_totals)
        .where(week_totals.c.total > my_week, week_totals.c.user_id != user)
        .correlate(mine)
        .scalar_subquery(),
    ).select_from(mine)
