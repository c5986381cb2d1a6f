"""The OKR use cases' types: the pages and details they return, the changes they take, and
the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.okrs.okr_views import (
    CheckInView,
    CycleView,
    KRView,
    ObjectiveView,
    ViewBuilder,
)
from bot.services.ports import OkrRepository, WorkspaceRepository
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


@dataclass(frozen=True)
class ObjectiveChange:
    """What to change on an objective; None leaves a field as it is."""

    title: str | None = None
    kind: str | None = None
    parent: str | None = None  # an objective's ref, or "" to align with none
    archived: bool | None = None


@dataclass(frozen=True, kw_only=True)
class KeyResultChange:
    """What to change on a key result; None leaves a field as it is."""

    title: str | None = None
    start: float | None = None
    target: float | None = None
    unit: str | None = None
    points: int | None = None
    archived: bool | None = None
