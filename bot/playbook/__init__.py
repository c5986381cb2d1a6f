"""Reading a playbook YAML file into a Playbook, with errors that name the line and field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.domain.integrations import Integration
from bot.domain.playbook import (
    ActivitySpec,
    CycleSpec,
    KeyResultSpec,
    ObjectiveSpec,
    Playbook,
    PointLimits,
    TeamSpec,
)
from bot.domain.schedule import WEEKDAYS, Job
from bot.domain.schedule_settings import JobSettings, ScheduleChange
from bot.playbook import problems, rules
from bot.playbook.schema import (
    REQUIRED_HINTS,
    IntegrationModel,
    JobSchedule,
    Limits,
    Objective,
    PlaybookFile,
    TeamSchedule,
)
from bot.playbook.tree import Scalar, Tree, build, path_of

__all__ = ["PlaybookError", "parse_playbook", "read_playbook"]


class PlaybookError(Exception):
    """The playbook is invalid; `problems` lists every problem found, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_playbook(text: str, source: str = "playbook") -> Playbook:
    """Parse and validate playbook YAML; raise PlaybookError listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise PlaybookError([problems.yaml_syntax(exc, source, text)]) from None
    except RecursionError:
        raise PlaybookError([f"{source}: the file is nested too deeply to read"]) from None
    if root is None:
        raise PlaybookError([f"{source}: the file is empty"])
    tree = build(root)
    found = tree.problems + rules.across_items(tree) + rules.references(tree)
    try:
        model = PlaybookFile.model_validate(tree.data, context={"limits": _limits(tree.data)})
    except ValidationError as error:
        said = {loc for _line, loc, _message in tree.problems}  # one problem per value
        found += [
            problem
            for problem in problems.from_schema(error, tree, PlaybookFile, REQUIRED_HINTS)
            if problem[1] not in said
        ]
        raise PlaybookError(problems.as_lines(found, source)) from None
    if found:
        raise PlaybookError(problems.as_lines(found, source))
    return replace(_playbook(model), named=tuple(_named(tree, source)))


PEOPLE_FIELDS = ("managers", "members", "owner", "admins")


def _named(tree: Tree, source: str) -> list[tuple[str, str]]:
    """Each person named by email and each user group, with the file, line and field."""
    found = []
    for loc, line in tree.lines.items():
        fields = [part for part in loc if isinstance(part, str)]
        if not fields:
            continue
        value = tree.value_at(loc)
        if not isinstance(value, Scalar):
            continue
        text = value.raw.strip()
        is_person = fields[-1] in PEOPLE_FIELDS and "@" in text
        if is_person or fields[-1] == "usergroup":
            found.append((text, f"{source}:{line}: {path_of(loc)}"))
    return sorted(found, key=lambda item: int(item[1].rsplit(":", 2)[-2]))


def read_playbook(path: Path) -> Playbook:
    """Read and validate the playbook at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError([f"{path}: cannot read the file ({exc.strerror})"]) from exc
    return parse_playbook(text, source=str(path))


def _limits(data: object) -> PointLimits:
    """The bounds the file's points are checked against (the defaults if `limits` is bad)."""
    try:
        limits = Limits.model_validate(data.get("limits") if isinstance(data, dict) else None)
    except ValidationError:
        return PointLimits()
    return PointLimits(limits.key_result_points, limits.activity_points)


def _playbook(model: PlaybookFile) -> Playbook:
    activities = [
        ActivitySpec(
            key=a.key,
            name=a.name,
            points=a.points,
            daily_cap=a.daily_cap,
            counts=a.counts,
            feeds=tuple(a.feeds),
        )
        for a in model.activities or ()
    ]
    teams = [
        TeamSpec(
            name=t.name,
            channel=t.channel,
            managers=tuple(t.managers),
            members=tuple(t.members),
            usergroup=t.usergroup,
        )
        for t in model.teams or ()
    ]
    cycles = [CycleSpec(c.name, c.start, c.end) for c in model.cycles or ()]
    limits = model.limits
    return Playbook(
        workspace=model.workspace,
        timezone=model.timezone,
        activities=tuple(activities) if model.activities is not None else None,
        teams=tuple(teams) if model.teams is not None else None,
        admins=tuple(model.admins) if model.admins is not None else None,
        cycles=tuple(cycles) if model.cycles is not None else None,
        objectives=tuple(_objective(o) for o in model.objectives)
        if model.objectives is not None
        else None,
        checkin_points=model.checkin_points,
        holidays=tuple(model.holidays) if model.holidays is not None else None,
        schedules=_schedules(model.schedules) if model.schedules is not None else None,
        limits=PointLimits(limits.key_result_points, limits.activity_points) if limits else None,
        integrations=None
        if model.integrations is None
        else tuple(_integration(i) for i in model.integrations),
    )


def _integration(i: IntegrationModel) -> Integration:
    return Integration(
        source=i.source,
        activity=i.activity,
        member=i.member,
        member_is=i.member_is,
        external_id=tuple(i.external_id),
        quantity=i.quantity,
        note=i.note,
    )


def _objective(o: Objective) -> ObjectiveSpec:
    default_owner = o.owner if o.level == "personal" else None
    key_results = tuple(
        KeyResultSpec(
            ref=kr.ref,
            title=kr.title,
            kr_type=kr.kr_type,
            owner=kr.owner or default_owner,
            start=kr.start,
            target=kr.target,
            unit=kr.unit,
            points=kr.points,
            weight=kr.weight,
            milestones=tuple(kr.milestones),
        )
        for kr in o.key_results
    )
    return ObjectiveSpec(
        ref=o.ref,
        title=o.title,
        level=o.level,
        kind=o.kind,
        team=o.team,
        owner=o.owner,
        parent=o.parent,
        cycle=o.cycle,
        key_results=key_results,
    )


def _change(settings: TeamSchedule) -> ScheduleChange:
    days = None if settings.days is None else tuple(WEEKDAYS.index(d) for d in settings.days)
    return ScheduleChange(settings.at, days, settings.enabled)


def _schedules(model: object) -> dict[Job, JobSettings]:
    found: dict[Job, JobSettings] = {}
    for job in Job:
        settings = getattr(model, job.name.lower())
        if isinstance(settings, JobSchedule):
            teams = settings.teams
            found[job] = JobSettings(
                _change(settings),
                None if teams is None else {name: _change(t) for name, t in teams.items()},
            )
    return found
