"""Which team is a member's own: one rule for the boards, `/log`'s rank and the digests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal_column, select

from storage.models import Team, TeamMembership


def home_team(workspace: Any, user: Any) -> Select[tuple[int, str]]:
    """(id, name) of the member's home team: the first active team they belong to, else the
    first they manage, by name. `workspace` and `user` are values or bound parameters."""
    teams, memberships = Team.__table__, TeamMembership.__table__
    return (
        select(teams.c.id, teams.c.name)
        .join(memberships, memberships.c.team_id == teams.c.id)
        .where(teams.c.workspace_id == workspace, teams.c.active.is_(True))
        .where(memberships.c.workspace_id == workspace, memberships.c.user_id == user)
        .order_by(memberships.c.role.desc(), teams.c.name)  # "member" before "manager"
        .limit(literal_column("1"))  # written out: /log's statement must stay short
    )
