"""What the OKR use cases share: the pages and details they return, and the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.context import ServiceContext, ensure_member
from bot.services.okr_views import (
    CheckInView,
    CycleView,
    KRView,
    ObjectiveView,
    ViewBuilder,
)
from bot.services.ports import OkrRepository, WorkspaceRepository
from bot.services.results import current_cycle
from storage.models import Cycle


@dataclass(frozen=True)
class OkrPage:
    title: str
    cycle: CycleView
    objectives: list[ObjectiveView]


@dataclass(frozen=True, kw_only=True)
class KRDetail:
    view: KRView
    objective_title: str
    cycle: CycleView
    history: list[CheckInView]
    counts: list[str]
    feeds: list[str]


@dataclass(frozen=True)
class TeamOkrs:
    """A managed team's objectives and the key-result owners who have not checked in this week."""

    name: str
    objectives: list[ObjectiveView]
    not_checked_in: list[str]


@dataclass(frozen=True)
class HomeOkrs:
    mine: OkrPage
    teams: list[TeamOkrs]
    admin: bool = False
    approvals: list[KRView] = field(default_factory=list)  # personal points this user approves


@dataclass(kw_only=True)
class Scope:
    repo: WorkspaceRepository
    okrs: OkrRepository
    tz: ZoneInfo
    now: datetime
    cycle: Cycle

    def views(self) -> ViewBuilder:
        return ViewBuilder(self.repo, self.okrs, self.cycle, self.tz, now=self.now)


class OkrBase:
    """The context, the caller's scope and the admin check every OKR use case needs."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def _scope(self, uow_repo: WorkspaceRepository, okrs: OkrRepository, user_id: str) -> Scope:
        tz = ensure_member(self.ctx, uow_repo, user_id)
        now = self.ctx.clock.now()
        return Scope(repo=uow_repo, okrs=okrs, tz=tz, now=now, cycle=current_cycle(okrs, tz, now))

    def user_is_admin(self, workspace_id: str, user_id: str) -> bool:
        """Playbook admins, and Slack workspace admins and owners."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            return self.is_admin(uow.repo(workspace_id), user_id)

    def is_admin(self, repo: WorkspaceRepository, user_id: str) -> bool:
        """Playbook admins, and Slack workspace admins and owners."""
        member = repo.member(user_id)
        if member is not None and member.is_admin:
            return True
        return self.ctx.profiles(repo.workspace_id, user_id).is_admin
