"""The parts of a new objective: the objective it aligns with, and its planned key results."""

from __future__ import annotations

from bot.domain.errors import NotFound
from bot.domain.objective_drafts import KRPlan
from bot.services.okrs.consent import consent_for
from bot.services.okrs.okr_types import Scope
from storage.models import KeyResult


def parent_id_of(scope: Scope, ref: str) -> int | None:
    """The id of the objective a new one aligns with; None when it aligns with none."""
    if not ref:
        return None
    parent = scope.okrs.objective_by_ref(ref)
    if parent is None:
        raise NotFound(f"There is no objective `{ref.upper()}` to align with.", field="parent")
    return parent.id


def add_planned_key_result(
    scope: Scope,
    objective_id: int,
    position: int,
    plan: KRPlan,
    *,
    level: str,
    user_id: str,
    creator_is_admin: bool,
) -> KeyResult:
    """Add one planned key result; one assigned to someone else waits for their consent."""
    owner = plan.owner or user_id
    accepted, approved = consent_for(
        scope.repo, user_id, owner, level, creator_is_admin=creator_is_admin
    )
    return scope.okrs.add_key_result(
        ref=scope.okrs.next_ref("K"),
        objective_id=objective_id,
        position=position,
        title=plan.title,
        owner_id=owner,
        owner_accepted=accepted,
        points_approved=approved,
        assigned_by=user_id if owner != user_id else None,
        kr_type=plan.kr_type,
        unit=plan.unit,
        start_value=plan.start,
        target_value=plan.target,
        current_value=None,
        weight=1.0,
        points=plan.points,
        milestones=list(plan.milestones),
        milestones_done=[False] * len(plan.milestones),
        archived=False,
        created_at=scope.now,
    )
