"""Changing objectives and key results after they are made (the API's PATCH and its new key
results), with the rights and the rules of creating them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.errors import NotFound, UserError
from bot.domain.objective_drafts import (
    KRDraft,
    KRPlan,
    ObjectiveDraft,
    kr_field_parts,
    plan_key_results,
)
from bot.domain.okrs import MAX_KEY_RESULTS, score
from bot.domain.playbook import DEFAULT_MAX_KR_POINTS
from bot.services.consent import consent_for
from bot.services.new_objectives import add_planned_key_result, parent_id_of
from bot.services.okr_base import Scope
from bot.services.okr_changes import OkrChanges
from bot.services.okr_view_models import KRView, ObjectiveView
from bot.services.results import award_if_achieved, measure_of
from storage.models import KeyResult, Objective

KINDS = ("committed", "aspirational")


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


class OkrEdits(OkrChanges):
    """Objectives and key results changed by those who may create them."""

    def change_objective(
        self, workspace_id: str, user_id: str, ref: str, change: ObjectiveChange
    ) -> ObjectiveView:
        """Change an objective's title, kind, alignment or archived state, all or nothing."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            objective = self._objective(scope, ref)
            self._check_may_change(scope, user_id, objective, "change")
            if change.title is not None:
                draft = ObjectiveDraft(
                    title=change.title, level=objective.level, key_results=[KRDraft(title="-")]
                )
                errors = plan_key_results(draft)[1]
                if "title" in errors:
                    raise UserError(errors["title"], field="title")
                objective.title = change.title.strip()
            if change.kind is not None:
                if change.kind not in KINDS:
                    raise UserError(f"Kind must be one of {', '.join(KINDS)}.", field="kind")
                objective.kind = change.kind
            if change.parent is not None:
                objective.parent_id = self._parent(scope, objective, change.parent.strip())
            if change.archived is not None:
                objective.archived = change.archived
                for kr in scope.okrs.key_results([objective.id], archived_too=True):
                    kr.archived = change.archived
            view = scope.views().objectives([objective])[0]
            uow.commit()
            return view

    def add_key_result(
        self, workspace_id: str, user_id: str, objective_ref: str, draft: KRDraft
    ) -> KRView:
        """Add a key result to an objective, as if it had been on the new-objective form."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            objective = self._objective(scope, objective_ref, field="objective")
            self._check_may_change(scope, user_id, objective, "change")
            live = [kr for kr in scope.okrs.key_results([objective.id]) if not kr.archived]
            if len(live) >= MAX_KEY_RESULTS:
                raise UserError(
                    f"{objective.ref} has {len(live)} key results, the most an objective can have.",
                    field="objective",
                )
            [plan] = self._plan(scope, objective, draft)
            is_admin = self.is_admin(scope.repo, user_id)
            position = max((kr.position for kr in live), default=-1) + 1
            added = add_planned_key_result(
                scope,
                objective.id,
                position,
                plan,
                level=objective.level,
                user_id=user_id,
                creator_is_admin=is_admin,
            )
            view = scope.views().key_results([added], {objective.id: objective})[0]
            uow.commit()
            return view

    def change_key_result(
        self, workspace_id: str, user_id: str, ref: str, change: KeyResultChange
    ) -> KRView:
        """Change a key result's title, start, target, unit, points or archived state, with the
        rules of the new-objective form. New points chosen by their own owner wait for a
        manager's approval again, and an achieved key result's points stay as they were paid."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            kr = scope.okrs.key_result_by_ref(ref.upper(), lock=True)
            objective = scope.okrs.objective(kr.objective_id) if kr else None
            if kr is None or objective is None or objective.cycle_id != scope.cycle.id:
                raise NotFound(f"There is no key result `{ref.upper()}` in the current cycle.")
            self._check_may_change(scope, user_id, objective, "change")
            self._apply(scope, objective, kr, change, user_id=user_id)
            award_if_achieved(scope.repo, kr, scope.now)
            view = scope.views().key_results([kr], {objective.id: objective})[0]
            uow.commit()
            return view

    def _apply(
        self,
        scope: Scope,
        objective: Objective,
        kr: KeyResult,
        change: KeyResultChange,
        *,
        user_id: str,
    ) -> None:
        points = kr.points if change.points is None else change.points
        if points != kr.points and score(measure_of(kr)) >= 1.0:
            raise UserError(
                f"{kr.ref} is achieved already: its {kr.points} points are settled.",
                field="points",
            )
        draft = KRDraft(
            title=kr.title if change.title is None else change.title,
            kr_type=kr.kr_type,
            start=_number(kr.start_value if change.start is None else change.start),
            target=_number(kr.target_value if change.target is None else change.target),
            unit=kr.unit if change.unit is None else change.unit,
            points=str(points),
            owner=kr.owner_id,
            milestones=", ".join(kr.milestones),
        )
        [plan] = self._plan(scope, objective, draft)
        # New points, or a new bar to clear (an owner lowering their own target to what they
        # have), are only paid once someone other than the owner agrees.
        if (plan.points, plan.start, plan.target) != (kr.points, kr.start_value, kr.target_value):
            is_admin = self.is_admin(scope.repo, user_id)
            approved = consent_for(
                scope.repo, user_id, kr.owner_id, objective.level, creator_is_admin=is_admin
            )[1]
            kr.points_approved, kr.approved_by = approved, None
        kr.title, kr.unit, kr.points = plan.title, plan.unit, plan.points
        kr.start_value, kr.target_value = plan.start, plan.target
        if change.archived is not None:
            kr.archived = change.archived

    def _plan(self, scope: Scope, objective: Objective, draft: KRDraft) -> list[KRPlan]:
        """The one key result `draft` describes, checked as the form checks it; UserError
        names the field (`target`, `points`…)."""
        workspace = scope.repo.workspace()
        max_points = workspace.max_kr_points if workspace else DEFAULT_MAX_KR_POINTS
        form = ObjectiveDraft(title=objective.title, level=objective.level, key_results=[draft])
        plans, errors = plan_key_results(form, max_points)
        errors.pop("title", None)  # the objective's own title is not being changed here
        if errors:
            field, message = next(iter(errors.items()))
            parts = kr_field_parts(field)
            raise UserError(message, field=parts[1] if parts else field)
        return plans

    def _objective(self, scope: Scope, ref: str, field: str | None = None) -> Objective:
        objective = scope.okrs.objective_by_ref(ref.upper())
        if objective is None or objective.cycle_id != scope.cycle.id:
            raise NotFound(f"There is no objective `{ref.upper()}` in the current cycle.", field)
        return objective

    def _parent(self, scope: Scope, objective: Objective, ref: str) -> int | None:
        """The objective to align with; never itself nor one aligned under it."""
        parent_id = parent_id_of(scope, ref)
        seen, at = set(), parent_id
        while at is not None and at not in seen:
            if at == objective.id:
                raise UserError(
                    f"{objective.ref} cannot align with {ref.upper()}: that would make a loop.",
                    field="parent",
                )
            seen.add(at)
            above = scope.okrs.objective(at)
            at = above.parent_id if above else None
        return parent_id


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)
