"""Reading OKRs: `/okr` pages, key-result detail, open key results, team names, App Home."""

from __future__ import annotations

from bot.domain.errors import NotFound
from bot.domain.okr_parsing import (
    OkrQuery,
    OkrView,
)
from bot.domain.okrs import Level
from bot.domain.periods import PeriodKind, period_containing
from bot.services.checkins import find_key_result
from bot.services.consent import (
    may_approve,
)
from bot.services.context import ensure_member
from bot.services.okr_base import HomeOkrs, KRDetail, OkrBase, OkrPage, Scope, TeamOkrs
from bot.services.okr_views import (
    CheckInView,
    KRView,
    ViewBuilder,
    cycle_view,
    plural,
)
from storage.models import Objective


class OkrReads(OkrBase):
    """`/okr` pages and details, the check-in form's key results, and App Home."""

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
