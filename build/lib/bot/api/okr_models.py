"""The API's models for objectives, key results, check-ins and the leaderboard."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.api.models import MEMBER, Printable, Strict, StrictBody


class KeyResultPath(BaseModel):
    ref: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$", description="Such as K12")


class CheckinIn(StrictBody):
    member: str = MEMBER
    value: Annotated[str, Printable] = Field(
        min_length=1,
        max_length=200,
        description="The new value, e.g. 12, or done milestones",
        json_schema_extra={"example": "12"},
    )
    confidence: int = Field(ge=0, le=10, json_schema_extra={"example": 7})
    note: Annotated[str, Printable] = Field(
        default="", max_length=500, json_schema_extra={"example": "two signed"}
    )


class CheckinOut(BaseModel):
    key_result: str
    progress: float = Field(description="1.0 is achieved")
    checkin_points: int
    achieved_points: int


class NeedOut(BaseModel):
    activity: str = Field(description="The activity that feeds the key result, plural")
    outlook: str = Field(
        description="reached, ended short, no activity, no conversion, final week or weekly pace"
    )
    more: int | None = Field(description="How many more are needed at the rate so far")
    per_week: int | None


class KeyResultOut(BaseModel):
    ref: str
    title: str
    owner: str
    type: str
    unit: str
    start: float | None
    target: float | None
    current: float | None
    progress: float = Field(description="1.0 is achieved")
    status: str = Field(description="The pace: on track, behind or at risk")
    stale: bool = Field(description="No check-in for over a week")
    confidence: int | None = Field(description="At the last check-in, 0 to 10")
    last_checkin: datetime | None
    points: int
    needs: list[NeedOut]


class ObjectiveOut(BaseModel):
    ref: str
    title: str
    level: str
    kind: str
    progress: float
    status: str
    parent: str | None
    key_results: list[KeyResultOut]


class ObjectivesOut(BaseModel):
    cycle: str
    expected: float = Field(description="The part of the cycle gone")
    ends: datetime
    objectives: list[ObjectiveOut]


class LeaderboardQuery(Strict):
    period: Literal["today", "week", "month", "quarter", "season"] = "week"
    team: str | None = Field(
        default=None, min_length=1, max_length=80, description="A team's name; all by default"
    )


class BoardRow(BaseModel):
    rank: int | None = Field(description="Null for a member with no points in the period")
    member: str
    name: str | None = Field(description="The member's Slack display name, where known")
    activity: int
    result: int
    total: int


class LeaderboardOut(BaseModel):
    period: str = Field(description="Such as `week 48, 2026`")
    start: datetime
    end: datetime
    team: str | None
    members: int = Field(
        description="How many people the board covers; those without points have no rank"
    )
    top: list[BoardRow]


class KeyResultIn(StrictBody):
    title: Annotated[str, Printable] = Field(
        min_length=1, max_length=150, json_schema_extra={"example": "Close 20 deals"}
    )
    type: str = Field(
        default="increase_to",
        max_length=20,
        description="increase_to, decrease_to, stay_above, stay_below, milestones…",
    )
    start: float | None = Field(default=None, allow_inf_nan=False, json_schema_extra={"example": 0})
    target: float | None = Field(
        default=None, allow_inf_nan=False, json_schema_extra={"example": 20}
    )
    unit: Annotated[str, Printable] = Field(
        default="", max_length=30, json_schema_extra={"example": "deals"}
    )
    points: int = Field(default=0, ge=0, le=1_000_000, json_schema_extra={"example": 50})
    owner: str | None = Field(
        default=None, pattern=r"^[UW][A-Z0-9]{2,31}$", json_schema_extra={"example": "U0123ABCD"}
    )
    milestones: list[Annotated[str, Printable]] = Field(
        default=[], max_length=10, json_schema_extra={"example": ["Draft", "Pilot", "Launch"]}
    )


class ObjectiveIn(StrictBody):
    member: str = Field(
        pattern=r"^[UW][A-Z0-9]{2,31}$",
        description="Who creates it; their rights apply",
        json_schema_extra={"example": "U0123ABCD"},
    )
    title: Annotated[str, Printable] = Field(
        min_length=1, max_length=150, json_schema_extra={"example": "Win the East coast"}
    )
    level: Literal["personal", "team", "company"]
    kind: Literal["committed", "aspirational"] = "committed"
    team: str | None = Field(
        default=None, max_length=80, json_schema_extra={"example": "Sales East"}
    )
    parent: str | None = Field(
        default=None, pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$", json_schema_extra={"example": "O1"}
    )
    key_results: list[KeyResultIn] = Field(min_length=1, max_length=5)


REF = r"^[A-Za-z][A-Za-z0-9_-]{0,15}$"
ACTING = Field(
    pattern=r"^[UW][A-Z0-9]{2,31}$",
    description="Who makes the change; their rights apply",
    json_schema_extra={"example": "U0123ABCD"},
)


class ObjectivePath(BaseModel):
    ref: str = Field(pattern=REF, description="Such as O3")


class ObjectivePatch(StrictBody):
    """Only the fields sent change."""

    member: str = ACTING
    title: Annotated[str, Printable] | None = Field(default=None, min_length=1, max_length=150)
    kind: Literal["committed", "aspirational"] | None = None
    parent: str | None = Field(
        default=None, pattern=f"{REF}|^$", description="An objective's ref; empty for none"
    )
    archived: bool | None = None


class KeyResultNew(KeyResultIn):
    member: str = ACTING
    objective: str = Field(pattern=REF, description="The objective it measures, such as O3")


class KeyResultPatch(StrictBody):
    """Only the fields sent change; type, owner and milestones stay as they were made."""

    member: str = ACTING
    title: Annotated[str, Printable] | None = Field(default=None, min_length=1, max_length=150)
    start: float | None = Field(default=None, allow_inf_nan=False)
    target: float | None = Field(default=None, allow_inf_nan=False)
    unit: Annotated[str, Printable] | None = Field(default=None, max_length=30)
    points: int | None = Field(default=None, ge=0, le=1_000_000)
    archived: bool | None = None
