"""Read models of objectives and key results: progress, pace, confidence, what is needed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.forecast import FeedFacts, Need, what_is_needed
from bot.domain.kr_types import kind_of
from bot.domain.okrs import (
    Level,
    elapsed_fraction,
    is_stale,
    kr_status,
    raw_progress,
    rollup,
    score,
    worst,
)
from bot.domain.periods import local_date
from bot.services.okrs.okr_view_models import CheckInView as CheckInView
from bot.services.okrs.okr_view_models import CycleView as CycleView
from bot.services.okrs.okr_view_models import KRView as KRView
from bot.services.okrs.okr_view_models import ObjectiveView as ObjectiveView
from bot.services.okrs.results import cycle_bounds, measure_of
from bot.services.ports import OkrRepository, WorkspaceRepository
from storage.models import CheckIn, Cycle, KeyResult, Objective


def awaiting(kr: KeyResult) -> str | None:
    """Why a key result's points don't count yet, or None."""
    if not kr.owner_accepted:
        return f"waiting for <@{kr.owner_id}> to accept it"
    if not kr.points_approved:
        return "its points wait for a manager's approval"
    return None


PARTICIPLES = frozenset(
    {"sent", "made", "done", "held", "won", "lost", "given", "taken", "built", "met", "run",
     "set", "shown", "signed", "closed", "booked", "completed", "logged", "qualified"}
)  # fmt: skip


def _plural_word(word: str) -> str:
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def plural(name: str) -> str:
    """An activity's name for many of it: `demos`, `follow-up calls`, and for a noun with
    what was done to it, `proposals sent`, `meetings booked`."""
    words = name.lower().split()
    if not words:
        return name
    last = words[-1]
    if len(words) > 1 and (last in PARTICIPLES or last.endswith("ed")):
        return " ".join([_plural_word(words[0]), *words[1:]])
    return " ".join([*words[:-1], _plural_word(last)])


def cycle_view(cycle: Cycle, tz: ZoneInfo, now: datetime) -> CycleView:
    start, end = cycle_bounds(cycle, tz)
    left = max(0, (cycle.ends_on - local_date(now, tz)).days)  # days after today
    return CycleView(
        name=cycle.name,
        expected=elapsed_fraction(start, end, now),
        ends=end,
        closed=cycle.closed_at is not None,
        days_left=left,
    )


class ViewBuilder:
    """Builds views for objectives of one cycle with a fixed number of queries."""

    def __init__(
        self,
        repo: WorkspaceRepository,
        okrs: OkrRepository,
        cycle: Cycle,
        tz: ZoneInfo,
        *,
        now: datetime,
    ) -> None:
        self.repo, self.okrs, self.cycle, self.tz, self.now = repo, okrs, cycle, tz, now
        self.cycle_start, self.cycle_end = cycle_bounds(cycle, tz)
        self.expected = elapsed_fraction(self.cycle_start, self.cycle_end, now)
        self.teams = {team.id: team for team in repo.teams(include_archived=True)}

    def objectives(self, objectives: list[Objective]) -> list[ObjectiveView]:
        """Views of `objectives`; each one's progress follows `objective_progress`."""
        everything = self.okrs.objectives(self.cycle.id)
        children: dict[int | None, list[Objective]] = defaultdict(list)
        for objective in everything:
            children[objective.parent_id].append(objective)
        below: set[int] = set()  # the objectives asked for and everything aligned under them
        frontier = [o.id for o in objectives]
        while frontier:
            below.update(frontier)
            frontier = [c.id for o in frontier for c in children[o] if c.id not in below]
        krs = self.okrs.key_results(sorted(below))
        wanted = {o.id for o in objectives}
        shown = [kr for kr in krs if kr.objective_id in wanted]
        views = self.key_results(shown, {o.id: o for o in objectives})
        by_objective: dict[int, list[KRView]] = defaultdict(list)
        for kr, view in zip(shown, views, strict=True):
            by_objective[kr.objective_id].append(view)
        scores: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for kr in krs:
            scores[kr.objective_id].append((score(measure_of(kr)), kr.weight))
        progress = objective_progress(
            {o.id: [c.id for c in children[o.id]] for o in everything}, scores
        )
        refs = {o.id: o.ref for o in everything}
        result = []
        for objective in objectives:
            kr_views = tuple(by_objective[objective.id])
            result.append(
                ObjectiveView(
                    ref=objective.ref,
                    title=objective.title,
                    level=Level(objective.level),
                    kind=objective.kind,
                    owner_label=self._owner_label(objective),
                    progress=progress.get(objective.id, 0.0),
                    status=worst([v.status for v in kr_views]),
                    key_results=kr_views,
                    aligned=tuple(c.ref for c in children[objective.id]),
                    parent_ref=refs.get(objective.parent_id) if objective.parent_id else None,
                )
            )
        return result

    def _owner_label(self, objective: Objective) -> str:
        if objective.level == Level.TEAM and objective.team_id in self.teams:
            return self.teams[objective.team_id].name
        if objective.level == Level.PERSONAL and objective.owner_id:
            return f"<@{objective.owner_id}>"
        return "Company"

    def key_results(self, krs: list[KeyResult], objectives: dict[int, Objective]) -> list[KRView]:
        """Views of `krs` (all of the same cycle)."""
        checkins: dict[int, list[CheckIn]] = defaultdict(list)
        for checkin in self.okrs.checkins([kr.id for kr in krs]):
            checkins[checkin.key_result_id].append(checkin)
        needs = self._needs(krs, objectives)
        views = []
        for kr in krs:
            measure = measure_of(kr)
            progress = raw_progress(measure)
            history = checkins[kr.id]
            names = kr.milestones or []
            done = kr.milestones_done or []
            views.append(
                KRView(
                    ref=kr.ref,
                    title=kr.title,
                    owner_id=kr.owner_id,
                    kr_type=kr.kr_type,
                    unit=kr.unit,
                    start=kr.start_value,
                    target=kr.target_value,
                    current=kr.current_value,
                    milestones=tuple(
                        (name, bool(done[i]) if i < len(done) else False)
                        for i, name in enumerate(names)
                    ),
                    progress=progress,
                    score=score(measure),
                    status=kr_status(
                        score(measure),
                        (self.cycle_start, self.cycle_end),
                        kr.created_at,
                        self.now,
                        checked_in=kr.last_checkin_at is not None,
                    ),
                    stale=is_stale(
                        kr.last_checkin_at, max(kr.created_at, self.cycle_start), self.now
                    ),
                    confidences=tuple(c.confidence for c in history),
                    last_checkin=kr.last_checkin_at,
                    points=kr.points,
                    needs=tuple(needs.get(kr.id, ())),
                    objective_ref=objectives[kr.objective_id].ref
                    if kr.objective_id in objectives
                    else "",
                    awaiting=awaiting(kr),
                    final_score=kr.override_score
                    if kr.override_score is not None
                    else kr.final_score,
                )
            )
        return views

    def _people(self, objective: Objective | None) -> list[str] | None:
        """Whose activities count toward a KR's forecast: the team, the owner, or everyone."""
        if objective is None or objective.level == Level.COMPANY:
            return None
        if objective.level == Level.TEAM and objective.team_id is not None:
            return self.repo.team_member_ids(objective.team_id)
        return [objective.owner_id] if objective.owner_id else None

    def _needs(
        self, krs: list[KeyResult], objectives: dict[int, Objective]
    ) -> dict[int, list[Need]]:
        numeric = {kr.id: kr for kr in krs if kind_of(kr.kr_type).numeric}
        if not numeric:
            return {}
        types = {t.id: t for t in self.repo.activity_types(include_archived=True)}
        needs: dict[int, list[Need]] = defaultdict(list)
        for link in self.okrs.links(kr_ids=list(numeric)):
            if link.role != "feeds" or link.activity_type_id not in types:
                continue
            kr = numeric[link.key_result_id]
            people = self._people(objectives.get(kr.objective_id))
            units = self.okrs.units_logged(
                link.activity_type_id, self.cycle_start, self.cycle_end, people
            )
            needs[kr.id].append(
                what_is_needed(
                    feed_facts(
                        kr, types[link.activity_type_id].name, units, self.cycle_end, now=self.now
                    )
                )
            )
        return needs


def objective_progress(
    children: dict[int, list[int]], scores: dict[int, list[tuple[float, float]]]
) -> dict[int, float]:
    """Each objective's one progress figure: with key results, their weighted mean score;
    with none, the mean of its aligned objectives' figures (0 with neither)."""
    result: dict[int, float] = {}

    def of(objective: int, seen: frozenset[int]) -> float:
        if objective in result:
            return result[objective]
        if scores.get(objective):
            value = rollup(scores[objective])
        else:
            kids = [c for c in children.get(objective, []) if c not in seen]
            value = rollup([(of(c, seen | {objective}), 1.0) for c in kids])
        result[objective] = value
        return value

    for objective in children:
        of(objective, frozenset())
    return result


def feed_facts(
    kr: KeyResult, activity: str, units: int, cycle_end: datetime, *, now: datetime
) -> FeedFacts:
    """What the forecast needs about one (activity, key result) pair, in the KR's direction."""
    start = kr.start_value or 0.0
    target = kr.target_value if kr.target_value is not None else 0.0
    current = kr.current_value if kr.current_value is not None else start
    direction = 1.0 if target >= start else -1.0
    return FeedFacts(
        activity=plural(activity),
        unit=kr.unit or "units",
        units_done=units,
        gained=(current - start) * direction,
        remaining=(target - current) * direction,
        target=target,
        cycle_end=cycle_end,
        now=now,
    )
