"""OKR use cases: pages, key-result detail, check-ins, new objectives, closing a cycle."""

from __future__ import annotations

from bot.domain.errors import NotAllowed, NotFound, UserError
from bot.domain.objective_drafts import (
    KRDraft,
    KRPlan,
    ObjectiveDraft,
    kr_field_parts,
    plan_key_results,
)
from bot.domain.okr_parsing import OkrQuery, OkrView
from bot.domain.okrs import MAX_KEY_RESULTS, Level, score
from bot.domain.periods import PeriodKind, period_containing, zone
from bot.domain.playbook import DEFAULT_MAX_KR_POINTS
from bot.services.context import ServiceContext, ensure_member
from bot.services.events import claim_request
from bot.services.okrs.checkins import CheckinResult, CheckinRow, find_key_result, record_checkin
from bot.services.okrs.consent import Answer, answer_assignment, approve, consent_for, may_approve
from bot.services.okrs.cycles import CycleReport, close_cycle, override_score
from bot.services.okrs.new_objectives import add_planned_key_result, parent_id_of
from bot.services.okrs.okr_types import HomeOkrs as HomeOkrs
from bot.services.okrs.okr_types import KeyResultChange, ObjectiveChange, Scope
from bot.services.okrs.okr_types import KRDetail as KRDetail
from bot.services.okrs.okr_types import OkrPage as OkrPage
from bot.services.okrs.okr_types import TeamOkrs as TeamOkrs
from bot.services.okrs.okr_views import (
    CheckInView,
    KRView,
    ObjectiveView,
    ViewBuilder,
    cycle_view,
    plural,
)
from bot.services.okrs.results import award_if_achieved, current_cycle, measure_of
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import KeyResult, Objective

KINDS = ("committed", "aspirational")


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


class OkrService:
    """`/okr`, `/checkin`, `/okr new`, cycle close and score overrides."""

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

    # -- reading ---------------------------------------------------------------------------
    def page(self, workspace_id: str, caller: str, query: OkrQuery) -> OkrPage:
        """The objectives `/okr` asks for (mine, a member's, a team's or the company's)."""
        self.ctx.warm(workspace_id, caller)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), caller)
            objectives = scope.okrs.objectives(scope.cycle.id)
            if query.view is OkrView.TEAM:
                teams = {t.name.casefold(): t for t in scope.repo.teams()}
                team = teams.get((query.team or "").casefold())
                if team is None:
                    names = ", ".join(t.name for t in scope.repo.teams()) or "none set up yet"
                    raise NotFound(f"I don't know the team `{query.team}`. Teams: {names}.")
                chosen = [o for o in objectives if o.level == Level.TEAM and o.team_id == team.id]
                title = f"{team.name} objectives"
            elif query.view is OkrView.COMPANY:
                chosen = [o for o in objectives if o.level == Level.COMPANY]
                title = "Company objectives"
            else:
                member = query.member or caller
                chosen = self._objectives_of(scope, objectives, member)
                title = "Your objectives" if member == caller else f"Objectives of <@{member}>"
            page = OkrPage(
                title,
                cycle_view(scope.cycle, scope.tz, scope.now),
                scope.views().objectives(chosen),
            )
            uow.commit()
            return page

    def _objectives_of(
        self, scope: Scope, objectives: list[Objective], member: str
    ) -> list[Objective]:
        """Personal objectives the member owns, objectives with a KR they own, and their teams'."""
        team_ids = {team.id for team, _role in scope.repo.teams_of(member)}
        owned_kr_objectives = {
            kr.objective_id
            for kr in scope.okrs.key_results([o.id for o in objectives])
            if kr.owner_id == member
        }
        return [
            o
            for o in objectives
            if (o.level == Level.PERSONAL and o.owner_id == member)
            or o.id in owned_kr_objectives
            or (o.level == Level.TEAM and o.team_id in team_ids)
        ]

    def lookup(self, workspace_id: str, caller: str, ref: str) -> KRDetail | OkrPage:
        """`/okr K12` or `/okr O3`: a key result in detail, or an objective with its key results."""
        self.ctx.warm(workspace_id, caller)
        with self.ctx.uow() as uow:
            okrs = uow.okrs(workspace_id)
            is_kr = okrs.key_result_by_ref(ref) is not None
            objective = None if is_kr else okrs.objective_by_ref(ref)
        if objective is None or objective.archived:
            return self.key_result(workspace_id, caller, ref)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), caller)
            chosen = scope.okrs.objective_by_ref(ref)
            assert chosen is not None
            cycle = next(c for c in scope.okrs.cycles() if c.id == chosen.cycle_id)
            builder = ViewBuilder(scope.repo, scope.okrs, cycle, scope.tz, now=scope.now)
            page = OkrPage(
                f"Objective {chosen.ref}",
                cycle_view(cycle, scope.tz, scope.now),
                builder.objectives([chosen]),
            )
            uow.commit()
            return page

    def key_result(self, workspace_id: str, caller: str, ref: str) -> KRDetail:
        """One key result in detail: history, pace, linked activities, what is needed."""
        self.ctx.warm(workspace_id, caller)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), caller)
            kr = find_key_result(scope.okrs, ref)
            objective = scope.okrs.objective(kr.objective_id)
            assert objective is not None
            cycle = scope.okrs.cycles()
            kr_cycle = next(c for c in cycle if c.id == objective.cycle_id)
            builder = ViewBuilder(scope.repo, scope.okrs, kr_cycle, scope.tz, now=scope.now)
            view = builder.key_results([kr], {objective.id: objective})[0]
            history = [
                CheckInView(
                    at=c.created_at,
                    user_id=c.user_id,
                    value=c.value,
                    confidence=c.confidence,
                    note=c.note,
                    blockers=c.blockers,
                )
                for c in scope.okrs.checkins([kr.id])
            ]
            types = {t.id: t.name for t in scope.repo.activity_types(include_archived=True)}
            links = scope.okrs.links(kr_ids=[kr.id])
            detail = KRDetail(
                view=view,
                objective_title=objective.title,
                cycle=cycle_view(kr_cycle, scope.tz, scope.now),
                history=history,
                counts=[
                    plural(types[link.activity_type_id]) for link in links if link.role == "counts"
                ],
                feeds=[
                    plural(types[link.activity_type_id]) for link in links if link.role == "feeds"
                ],
            )
            uow.commit()
            return detail

    def open_key_results(self, workspace_id: str, user_id: str) -> list[KRView]:
        """The caller's key results in the current cycle, for the check-in form."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            objectives = {o.id: o for o in scope.okrs.objectives(scope.cycle.id)}
            mine = [kr for kr in scope.okrs.key_results(list(objectives)) if kr.owner_id == user_id]
            views = scope.views().key_results(mine, objectives)
            uow.commit()
            return views

    def team_names(self, workspace_id: str, user_id: str) -> list[str]:
        """Names of the workspace's teams, for the new-objective form."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            ensure_member(self.ctx, repo, user_id)
            names = [team.name for team in repo.teams()]
            uow.commit()
            return names

    # -- App Home ------------------------------------------------------------------------------
    def home(self, workspace_id: str, user_id: str) -> HomeOkrs:
        """The caller's objectives, and for each team they manage its objectives and who has
        not checked in this week."""
        self.ctx.warm(workspace_id, user_id)
        with self.ctx.uow() as uow:
            scope = self._scope(uow.repo(workspace_id), uow.okrs(workspace_id), user_id)
            objectives = scope.okrs.objectives(scope.cycle.id)
            builder = scope.views()
            mine = builder.objectives(self._objectives_of(scope, objectives, user_id))
            page = OkrPage("Your objectives", cycle_view(scope.cycle, scope.tz, scope.now), mine)
            week = period_containing(PeriodKind.WEEK, scope.now, scope.tz)
            krs = scope.okrs.key_results([o.id for o in objectives])
            checkins = scope.okrs.checkins([kr.id for kr in krs])
            checked = {c.user_id for c in checkins if c.created_at >= week.start}
            teams = []
            for team_id in scope.repo.managed_team_ids(user_id):
                team = scope.repo.team(team_id)
                if team is None or not team.active:
                    continue
                team_objectives = [
                    o for o in objectives if o.level == Level.TEAM and o.team_id == team_id
                ]
                members = set(scope.repo.team_member_ids(team_id))
                owners = sorted({kr.owner_id for kr in krs if kr.owner_id in members})
                missing = [owner for owner in owners if owner not in checked]
                teams.append(TeamOkrs(team.name, builder.objectives(team_objectives), missing))
            admin = self.is_admin(scope.repo, user_id)
            unapproved = [
                kr
                for kr in krs
                if not kr.points_approved
                and kr.owner_accepted
                and not kr.archived
                and may_approve(scope.repo, user_id, kr, admin)
            ]
            by_id = {o.id: o for o in objectives}
            approvals = builder.key_results(unapproved, by_id) if unapproved else []
            uow.commit()
            return HomeOkrs(page, teams, admin, approvals)
