"""Changing OKRs: check-ins, new and archived objectives, consent, closing a cycle."""

from __future__ import annotations

from bot.domain.errors import NotAllowed, NotFound, UserError
from bot.domain.objective_drafts import ObjectiveDraft, plan_key_results
from bot.domain.okrs import Level
from bot.domain.periods import zone
from bot.domain.playbook import DEFAULT_MAX_KR_POINTS
from bot.services.checkins import CheckinResult, CheckinRow, record_checkin
from bot.services.consent import (
    Answer,
    answer_assignment,
    approve,
)
from bot.services.context import ensure_member
from bot.services.cycles import CycleReport, close_cycle, override_score
from bot.services.events import claim_request
from bot.services.new_objectives import add_planned_key_result, parent_id_of
from bot.services.okr_base import OkrBase, Scope
from bot.services.okr_views import (
    KRView,
    ObjectiveView,
)
from storage.models import KeyResult, Objective


class OkrChanges(OkrBase):
    """`/checkin`, `/okr new`, archiving, approvals and acceptances, cycle close and scores."""

    # -- check-ins -------------------------------------------------------------------------
    def check_in(
        self,
        workspace_id: str,
        user_id: str,
        rows: list[CheckinRow],
        *,
        request_key: str | None = None,
    ) -> list[CheckinResult]:
        """Record check-ins, all or none. UserError.field is the ref of the row that is wrong.
        A `request_key` seen before raises Repeated and stores nothing (a form sent twice)."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            claim_request(uow.repo(workspace_id), request_key, self.ctx.clock.now())
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            workspace = scope.repo.workspace()
            assert workspace is not None
            changed: list[tuple[KeyResult, int, int]] = []
            for row in rows:
                try:
                    changed.append(
                        record_checkin(
                            scope.repo,
                            scope.okrs,
                            scope.now,
                            workspace.checkin_points,
                            user_id=user_id,
                            row=row,
                        )
                    )
                except UserError as error:
                    field = f"{error.field or 'value'}:{row.ref}"
                    message = (
                        error.message
                        if error.message.startswith(row.ref)
                        else f"{row.ref}: {error.message}"
                    )
                    raise type(error)(message, field=field) from error
            objectives = {o.id: o for o in scope.okrs.all_objectives()}
            views = scope.views().key_results([kr for kr, _c, _a in changed], objectives)
            results = [
                CheckinResult(v, c, a) for v, (_kr, c, a) in zip(views, changed, strict=True)
            ]
            uow.commit()
            return results

    # -- creating objectives ------------------------------------------------------------------
    def create_objective(
        self,
        workspace_id: str,
        user_id: str,
        draft: ObjectiveDraft,
        *,
        request_key: str | None = None,
    ) -> ObjectiveView:
        """Create an objective with its key results; errors name the form field. A
        `request_key` seen before raises Repeated and creates nothing."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            workspace = uow.repo(workspace_id).workspace()
            max_points = workspace.max_kr_points if workspace else DEFAULT_MAX_KR_POINTS
        plans, errors = plan_key_results(draft, max_points)
        if errors:
            field, message = next(iter(errors.items()))
            raise UserError(message, field=field)
        with self.ctx.uow() as uow:
            claim_request(uow.repo(workspace_id), request_key, self.ctx.clock.now())
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            team_id = self._check_may_create(scope, user_id, draft)
            parent_id = parent_id_of(scope, draft.parent.strip())
            objective = scope.okrs.add_objective(
                ref=scope.okrs.next_ref("O"),
                cycle_id=scope.cycle.id,
                title=draft.title.strip(),
                level=draft.level,
                kind=draft.kind or "committed",
                team_id=team_id,
                owner_id=user_id if draft.level == Level.PERSONAL else None,
                parent_id=parent_id,
                archived=False,
                created_at=scope.now,
            )
            creator_is_admin = self.is_admin(scope.repo, user_id)
            for position, plan in enumerate(plans):
                add_planned_key_result(
                    scope,
                    objective.id,
                    position,
                    plan,
                    level=draft.level,
                    user_id=user_id,
                    creator_is_admin=creator_is_admin,
                )
            view = scope.views().objectives([objective])[0]
            uow.commit()
            return view

    def archive_objective(self, workspace_id: str, user_id: str, ref: str) -> str:
        """Archive an objective and its key results (history and points stay); return its title."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            objective = scope.okrs.objective_by_ref(ref)
            if objective is None or objective.archived:
                raise NotFound(f"There is no objective `{ref.upper()}` to archive.")
            self._check_may_change(scope, user_id, objective, "archive")
            objective.archived = True
            for kr in scope.okrs.key_results([objective.id]):
                kr.archived = True
            uow.commit()
            return objective.title

    def _check_may_change(
        self, scope: Scope, user_id: str, objective: Objective, action: str
    ) -> None:
        """NotAllowed unless `user_id` may `action` this objective: its owner for a personal
        one, the team's managers for a team's, admins for the company's."""
        team = scope.repo.team(objective.team_id) if objective.team_id else None
        draft = ObjectiveDraft(
            title=objective.title, level=objective.level, team=team.name if team else ""
        )
        if objective.level == Level.PERSONAL and objective.owner_id != user_id:
            raise NotAllowed(f"Only <@{objective.owner_id}> can {action} their personal objective.")
        self._check_may_create(scope, user_id, draft, action=action)

    def _check_may_create(
        self, scope: Scope, user_id: str, draft: ObjectiveDraft, action: str = "create"
    ) -> int | None:
        """The team id for a team objective; NotAllowed when `user_id` may not `action` it."""
        if draft.level == Level.PERSONAL:
            return None
        if draft.level == Level.TEAM:
            teams = {t.name.casefold(): t for t in scope.repo.teams()}
            if not teams:
                raise UserError(
                    "This workspace has no teams yet, so there is no team to give this "
                    "objective to. Choose Personal, or ask an admin to add teams in the playbook.",
                    field="level",
                )
            team = teams.get(draft.team.strip().casefold())
            if team is None:
                raise UserError("Pick the team this objective belongs to.", field="team")
            if user_id not in scope.repo.team_manager_ids(team.id):
                raise NotAllowed(
                    f"Only managers of {team.name} can {action} its objectives.", field="level"
                )
            return team.id
        if not self.is_admin(scope.repo, user_id):
            raise NotAllowed(
                f"Only workspace admins can {action} company objectives.", field="level"
            )
        return None

    # -- consent ---------------------------------------------------------------------------------
    def approve_points(self, workspace_id: str, approver: str, ref: str) -> tuple[KRView, int]:
        """A manager or admin approves a personal key result's points; returns it and the
        points paid now (when it is already achieved)."""
        self.ctx.warm(workspace_id, approver)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), approver)
            is_admin = self.is_admin(scope.repo, approver)
            kr, awarded = approve(
                scope.repo, scope.okrs, approver, ref, now=scope.now, is_admin=is_admin
            )
            objective = scope.okrs.objective(kr.objective_id)
            assert objective is not None
            view = scope.views().key_results([kr], {objective.id: objective})[0]
            uow.commit()
            return view, awarded

    def answer_assignment(self, workspace_id: str, user_id: str, ref: str, accept: bool) -> Answer:
        """The owner accepts or declines a key result someone else gave them."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            answer = answer_assignment(
                scope.repo, scope.okrs, user_id, ref, accept=accept, now=scope.now
            )
            uow.commit()
            return answer

    # -- closing a cycle -------------------------------------------------------------------------
    def close_cycle(
        self,
        workspace_id: str,
        name: str | None = None,
        by_user: str | None = None,
        *,
        early: bool = False,
    ) -> CycleReport:
        """Close a cycle with final scores (before its end only with `early`).
        From Slack (`by_user`), only admins may."""
        with self.ctx.uow() as uow:
            repo, okrs = uow.repo(workspace_id), uow.okrs(workspace_id)
            if by_user is not None and not self.is_admin(repo, by_user):
                raise NotAllowed("Only workspace admins can close a cycle.")
            workspace = repo.workspace()
            if workspace is None:
                raise NotFound(f"There is no workspace {workspace_id} here.")
            report = close_cycle(
                repo, okrs, name, self.ctx.clock.now(), tz=zone(workspace.timezone), early=early
            )
            uow.commit()
            return report

    def override_score(
        self, workspace_id: str, user_id: str, ref: str, value: float, *, reason: str
    ) -> KRView:
        """The KR's owner replaces its final score, with a reason, within 7 days of the close."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            repo, okrs = uow.repo(workspace_id), uow.okrs(workspace_id)
            tz = ensure_member(self.ctx, repo, user_id)
            view = override_score(
                repo,
                okrs,
                tz,
                self.ctx.clock.now(),
                user_id=user_id,
                ref=ref,
                value=value,
                reason=reason,
            )
            uow.commit()
            return view
