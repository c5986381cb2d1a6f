"""What OKR pages, details and forms show: plain read models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.forecast import Need
from bot.domain.okrs import (
    Level,
    Status,
)


@dataclass(frozen=True, kw_only=True)
class CheckInView:
    at: datetime
    user_id: str
    value: float | None
    confidence: int
    note: str
    blockers: str = ""


@dataclass(frozen=True, kw_only=True)
class KRView:
    ref: str
    title: str
    owner_id: str
    kr_type: str  # a name in bot.domain.kr_types
    unit: str
    start: float | None
    target: float | None
    current: float | None
    milestones: tuple[tuple[str, bool], ...]
    progress: float  # as shown, may exceed 1
    score: float
    status: Status
    stale: bool
    confidences: tuple[int, ...]  # at each check-in, oldest first
    last_checkin: datetime | None
    points: int
    needs: tuple[Need, ...]
    objective_ref: str
    final_score: float | None = None
    awaiting: str | None = None  # why its points don't count yet


@dataclass(frozen=True, kw_only=True)
class ObjectiveView:
    ref: str
    title: str
    level: Level
    kind: str
    owner_label: str  # "Sales East" or "<@U…>" or "Company"
    progress: float
    status: Status
    key_results: tuple[KRView, ...]
    aligned: tuple[str, ...]  # refs of the objectives aligned under this one
    parent_ref: str | None


@dataclass(frozen=True, kw_only=True)
class CycleView:
    name: str
    expected: float  # fraction of the cycle elapsed
    ends: datetime
    closed: bool
    days_left: int = 0
