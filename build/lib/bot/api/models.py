"""The API's request and response models; the OpenAPI document is generated from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from bot.domain.parsing import CONTROL_MESSAGE, has_control

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MEMBER = Field(
    pattern=r"^[UW][A-Z0-9]{2,31}$",
    description="The member's Slack user id",
    json_schema_extra={"example": "U0123ABCD"},
)


class Strict(BaseModel):
    """Query parameters: no field the document does not name (their values come as text)."""

    model_config = ConfigDict(extra="forbid")


class StrictBody(BaseModel):
    """A JSON body: no field the document does not name, and every value of the type it
    promises (no `true` for 1, no `"5"` for 5, no `"yes"` for true)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _printable(text: str) -> str:
    if has_control(text):
        raise ValueError(CONTROL_MESSAGE)
    return text


Printable = AfterValidator(_printable)


class ActivityIn(StrictBody):
    member: str = Field(
        pattern=r"^([UW][A-Z0-9]{2,31}|[^@\s]{1,64}@[^@\s]{1,190})$",
        description="The member's Slack user id, or the email of their Slack account",
        json_schema_extra={"example": "U0123ABCD"},
    )
    activity: str = Field(
        min_length=1,
        max_length=30,
        description="The activity's key",
        json_schema_extra={"example": "call"},
    )
    quantity: int = Field(default=1, ge=1, le=1000, json_schema_extra={"example": 3})
    note: Annotated[str, Printable] = Field(
        default="", max_length=500, json_schema_extra={"example": "outbound to retail"}
    )
    external_id: Annotated[str, Printable] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Your id for it: the same id from the same source is logged once",
        json_schema_extra={"example": "call-81231"},
    )
    source: str = Field(
        default="api", pattern=r"^[a-z][a-z0-9_-]{0,19}$", json_schema_extra={"example": "hubspot"}
    )


class ActivitiesIn(StrictBody):
    activities: list[ActivityIn] = Field(min_length=1, max_length=500)


class Logged(BaseModel):
    id: int
    member: str
    activity: str
    quantity: int
    points: int


class LoggedOut(BaseModel):
    activities: list[Logged]


class ActivityQuery(Strict):
    member: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,31}$")
    since: date | None = Field(
        default=None, ge=FIRST_DAY, le=LAST_DAY, description="First day, UTC (default: 90 days ago)"
    )
    until: date | None = Field(
        default=None, ge=FIRST_DAY, le=LAST_DAY, description="Last day, UTC (default: today)"
    )
    cursor: str | None = Field(default=None, pattern=r"^[0-9]{1,10}$")
    limit: int = Field(default=100, ge=1, le=500)


class ActivityOut(BaseModel):
    id: int
    member: str
    activity: str
    quantity: int
    points: int
    note: str
    logged_at: datetime


class ActivityPage(BaseModel):
    activities: list[ActivityOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class IdempotencyHeader(BaseModel):
    idempotency_key: str | None = Field(
        default=None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Repeat a POST with the same key and body: the first answer comes back",
    )


class ProblemItem(BaseModel):
    pointer: str
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] = []


class PointsQuery(Strict):
    member: str = Field(pattern=r"^[UW][A-Z0-9]{2,31}$", description="The member's Slack user id")


class PeriodPoints(BaseModel):
    label: str = Field(description="Such as `week 48, 2026`")
    start: datetime
    end: datetime = Field(description="Exclusive")
    activity: int
    result: int
    total: int


class PointsOut(BaseModel):
    member: str
    week: PeriodPoints
    quarter: PeriodPoints
    streak: int = Field(description="Working days in a row with an activity logged")


class ExportPath(BaseModel):
    table: Literal["activities", "points", "objectives", "key_results", "checkins"]


class HookPath(BaseModel):
    source: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,19}$")


class HookBody(RootModel[dict[str, Any] | list[dict[str, Any]]]):
    """A CRM's payload as it sends it: one event, or a list of them."""
