"""The playbook's schema: one model per section, every leaf checked by `bot.playbook.values`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic import model_validator as after_fields

from bot.domain.integrations import PATH as INTEGRATION_PATH
from bot.domain.kr_types import kind_of
from bot.domain.kr_types import names as kr_type_names
from bot.domain.okrs import MAX_MILESTONE_NAME, MAX_MILESTONES, MAX_TITLE, MAX_UNIT, Kind, Level
from bot.domain.playbook import (
    DEFAULT_MAX_ACTIVITY_POINTS,
    DEFAULT_MAX_KR_POINTS,
    HIGHEST_POINT_LIMIT,
    MAX_ACTIVITY_NAME,
    MAX_CYCLE_NAME,
    MAX_TEAM_NAME,
)
from bot.domain.schedule import WEEKDAYS, Job
from bot.playbook.tree import Loc
from bot.playbook.values import (
    ACTIVITY_KEY,
    CHANNEL_HINT,
    CHANNEL_ID,
    KEY_HINT,
    SOURCE,
    WORKSPACE_HINT,
    WORKSPACE_ID,
    ActivityPoints,
    ClockTime,
    Day,
    Flag,
    KeyResultPoints,
    Listed,
    Number,
    Ref,
    Refs,
    Text,
    Timezone,
    UserGroup,
    UserId,
    UserIds,
    choice,
    positive,
    problem,
    text,
    whole_number,
)


def _at_most_milestones(found: list[str]) -> list[str]:
    if len(found) > MAX_MILESTONES:
        raise problem(
            f"at most {MAX_MILESTONES} milestones, has {len(found)}: split the key result in two"
        )
    return found


ActivityKey = Annotated[str, BeforeValidator(text(ACTIVITY_KEY, KEY_HINT))]
ActivityName = Annotated[str, BeforeValidator(text(max_length=MAX_ACTIVITY_NAME))]
TeamName = Annotated[str, BeforeValidator(text(max_length=MAX_TEAM_NAME))]
CycleName = Annotated[str, BeforeValidator(text(max_length=MAX_CYCLE_NAME))]
Title = Annotated[str, BeforeValidator(text(max_length=MAX_TITLE))]
Unit = Annotated[str, BeforeValidator(text(max_length=MAX_UNIT))]
Milestone = Annotated[str, BeforeValidator(text(max_length=MAX_MILESTONE_NAME))]
ChannelId = Annotated[str, BeforeValidator(text(CHANNEL_ID, CHANNEL_HINT))]
KRTypeName = Annotated[str, BeforeValidator(choice(kr_type_names))]
LevelName = Annotated[str, BeforeValidator(choice(lambda: [v.value for v in Level]))]
KindName = Annotated[str, BeforeValidator(choice(lambda: [v.value for v in Kind]))]
Weekday = Annotated[str, BeforeValidator(choice(lambda: list(WEEKDAYS)))]
Cap = Annotated[int, whole_number(1, 1000)]
CheckinPoints = Annotated[int, whole_number(0, 1000)]
Weight = Annotated[Number, AfterValidator(positive)]


class Section(BaseModel):
    """A mapping whose fields are all declared: anything else is an unknown field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class Limits(Section):
    key_result_points: Annotated[int, whole_number(DEFAULT_MAX_KR_POINTS, HIGHEST_POINT_LIMIT)] = (
        DEFAULT_MAX_KR_POINTS
    )
    activity_points: Annotated[
        int, whole_number(DEFAULT_MAX_ACTIVITY_POINTS, HIGHEST_POINT_LIMIT)
    ] = DEFAULT_MAX_ACTIVITY_POINTS


class Activity(Section):
    key: ActivityKey
    name: ActivityName
    points: ActivityPoints
    daily_cap: Cap | None = None
    counts: Ref | None = None
    feeds: Refs = []


class Team(Section):
    name: TeamName
    channel: ChannelId | None = None
    managers: UserIds = []
    members: UserIds = []
    usergroup: UserGroup | None = None

    @after_fields(mode="after")
    def _members_from_one_place(self) -> Team:
        if self.usergroup is not None and self.members:
            raise problem(
                "takes its members from `members:` or from `usergroup:`, not both "
                "(the user group is read again from Slack every day)",
                field="members",
            )
        return self


class Cycle(Section):
    name: CycleName
    start: Day
    end: Day

    @after_fields(mode="after")
    def _ends_after_it_starts(self) -> Cycle:
        if self.end < self.start:
            raise problem("must not be before the start", field="end")
        return self


class KeyResult(Section):
    ref: Ref
    title: Title
    kr_type: KRTypeName = Field(alias="type")
    owner: UserId | None = None
    start: Number | None = None
    target: Number | None = None
    unit: Unit = ""
    points: KeyResultPoints = 0
    weight: Weight = 1.0
    milestones: Annotated[list[Milestone], Listed, AfterValidator(_at_most_milestones)] = []

    @after_fields(mode="after")
    def _fits_its_type(self) -> KeyResult:
        kind = kind_of(self.kr_type)
        if self.start is None:
            self.start = kind.default_start
        why = kind.span_problem(self.start, self.target)
        if why is not None:
            raise problem(why)
        if kind.milestones and not self.milestones:
            raise problem(f"a {kind.name} key result needs a `milestones:` list")
        return self


class Objective(Section):
    ref: Ref
    title: Title
    level: LevelName
    kind: KindName = "committed"
    team: Text | None = None
    owner: UserId | None = None
    parent: Ref | None = None
    cycle: Text | None = None
    key_results: Annotated[list[KeyResult], Listed] = []


class TeamSchedule(Section):
    at: ClockTime | None = None
    days: Annotated[list[Weekday], Listed] | None = None
    enabled: Flag | None = None


class JobSchedule(TeamSchedule):
    teams: dict[str, TeamSchedule] | None = None


Schedules: type[Section] = create_model(  # one optional field per job, named as the job is
    "Schedules",
    __base__=Section,
    **{job.name.lower(): (JobSchedule | None, Field(None, alias=job.value)) for job in Job},  # type: ignore[call-overload]
)


Path = Annotated[
    str,
    BeforeValidator(text(INTEGRATION_PATH, " (a path into the JSON, such as properties.email)")),
]
Source = Annotated[
    str, BeforeValidator(text(SOURCE, " (lowercase letters and digits, e.g. hubspot)"))
]
MemberIs = Annotated[str, BeforeValidator(choice(lambda: ["email", "slack_id"]))]


def _some_external_id(paths: list[str]) -> list[str]:
    if not paths:
        raise problem("name at least one path: the external id is what makes retries safe")
    return paths


class IntegrationModel(Section):
    source: Source
    activity: ActivityKey
    member: Path
    member_is: MemberIs = "email"
    external_id: Annotated[list[Path], Listed, AfterValidator(_some_external_id)]
    quantity: Path | None = None
    note: Path | None = None


class PlaybookFile(Section):
    workspace: Annotated[str, BeforeValidator(text(WORKSPACE_ID, WORKSPACE_HINT))]
    timezone: Timezone | None = None
    activities: Annotated[list[Activity], Listed] | None = None
    teams: Annotated[list[Team], Listed] | None = None
    admins: UserIds | None = None
    cycles: Annotated[list[Cycle], Listed] | None = None
    objectives: Annotated[list[Objective], Listed] | None = None
    checkin_points: CheckinPoints | None = None
    holidays: Annotated[list[Day], Listed] | None = None
    schedules: Schedules | None = None  # type: ignore[valid-type]
    limits: Limits | None = None
    integrations: Annotated[list[IntegrationModel], Listed] | None = None


REQUIRED_HINTS: dict[Loc, str] = {
    ("workspace",): "is required (the Slack team id, such as T0123ABCD)"
}
