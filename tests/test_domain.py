"""The Slack-free rules: periods, scoring, ranking, streaks, command parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.board_parsing import parse_board
from bot.domain.errors import UserError
from bot.domain.numbers import number, parse_decimal, parse_whole
from bot.domain.parsing import (
    CatalogItem,
    log_form_problems,
    parse_log,
    parse_mention,
    parse_quantity,
)
from bot.domain.periods import PeriodKind, period_containing
from bot.domain.ranking import rank
from bot.domain.scoring import score_activity
from bot.domain.streaks import working_day_streak

NY = ZoneInfo("America/New_York")
CATALOG = [
    CatalogItem("call", "Call"),
    CatalogItem("demo", "Demo"),
    CatalogItem("proposal", "Proposal sent"),
]


# -- periods -----------------------------------------------------------------------------
def test_week_starts_monday_midnight_in_the_workspace_timezone() -> None:
    # Monday 00:30 UTC is still Sunday evening in New York: last week there.
    week = period_containing(PeriodKind.WEEK, datetime(2026, 11, 23, 0, 30, tzinfo=UTC), NY)
    assert week.start == datetime(2026, 11, 16, 5, 0, tzinfo=UTC)
    assert week.end == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert week.label == "Mon 16 – Sun 22 Nov"


def test_week_across_the_dst_change_is_seven_local_days() -> None:
    week = period_containing(PeriodKind.WEEK, datetime(2026, 10, 29, 12, tzinfo=UTC), NY)
    assert week.start == datetime(2026, 10, 26, 4, 0, tzinfo=UTC)  # EDT, UTC-4
    assert week.end == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # EST, UTC-5
    assert week.end - week.start == timedelta(days=7, hours=1)


def test_day_month_and_quarter_boundaries() -> None:
    moment = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # 18:00 on 31 Dec in New York
    assert period_containing(PeriodKind.TODAY, moment, NY).start == datetime(
        2026, 12, 31, 5, tzinfo=UTC
    )
    month = period_containing(PeriodKind.MONTH, moment, NY)
    assert (month.start, month.end, month.label) == (
        datetime(2026, 12, 1, 5, tzinfo=UTC),
        datetime(2027, 1, 1, 5, tzinfo=UTC),
        "December 2026",
    )
    quarter = period_containing(PeriodKind.QUARTER, moment, NY)
    assert quarter.start == datetime(2026, 10, 1, 4, tzinfo=UTC)
    assert quarter.end == datetime(2027, 1, 1, 5, tzinfo=UTC)
    assert quarter.label == "2026-Q4"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        period_containing(PeriodKind.WEEK, datetime(2026, 1, 1), NY)


# -- scoring -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quantity", "cap", "already", "points", "over"),
    [
        (3, None, 100, 15, 0),
        (4, 10, 0, 20, 0),
        (4, 10, 8, 10, 2),
        (4, 10, 10, 0, 4),
        (4, 10, 12, 0, 4),
    ],
)
def test_units_beyond_the_daily_cap_earn_nothing(
    quantity: int, cap: int | None, already: int, points: int, over: int
) -> None:
    score = score_activity(quantity, 5, cap, already)
    assert (score.points, score.units_over_cap) == (points, over)


# -- ranking -----------------------------------------------------------------------------
def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    ranked = rank([("U2", 5, 0), ("U1", 10, 0), ("U3", 5, 0), ("U4", 0, 0), ("U5", 2, 3)])
    assert [(s.user_id, s.rank) for s in ranked] == [
        ("U1", 1),
        ("U2", 2),
        ("U3", 2),
        ("U5", 2),
        ("U4", None),  # no points: no rank
    ]


# -- streaks -----------------------------------------------------------------------------
FRIDAY = date(2026, 11, 20)


def test_streak_bridges_weekends_and_counts_today_once_logged() -> None:
    days = {date(2026, 11, 12), date(2026, 11, 13), date(2026, 11, 16), date(2026, 11, 17)}
    assert working_day_streak(days, date(2026, 11, 17)) == 4


def test_streak_survives_until_the_day_is_over() -> None:
    days = {date(2026, 11, 18), date(2026, 11, 19)}
    assert working_day_streak(days, FRIDAY) == 2  # nothing yet on Friday: still 2
    assert working_day_streak(days | {FRIDAY}, FRIDAY) == 3
    assert working_day_streak(days | {FRIDAY}, date(2026, 11, 22)) == 3  # Sunday


def test_a_missed_working_day_breaks_the_streak() -> None:
    assert working_day_streak({date(2026, 11, 17), FRIDAY}, FRIDAY) == 1
    assert working_day_streak(set(), FRIDAY) == 0


# -- /log parsing ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key", "quantity", "note"),
    [
        ("call", "call", 1, ""),
        ("CALL 12 outbound to retail", "call", 12, "outbound to retail"),
        ("demo 2 Acme + Globex", "demo", 2, "Acme + Globex"),
        ("Proposal sent 3", "proposal", 3, ""),
        ("proposal sent for Acme", "proposal", 1, "for Acme"),
        ("call 1,000", "call", 1000, ""),
        ("3 calls", "call", 3, ""),
        ("2 demos for Acme", "demo", 2, "for Acme"),
        ("call 3 3 voicemails", "call", 3, "3 voicemails"),
        ("demo 12 demo day", "demo", 12, "demo day"),
        ("call   2   spaced  out", "call", 2, "spaced  out"),
        ("call 3pm follow-up", "call", 1, "3pm follow-up"),
        ("10 demos", "demo", 10, ""),
        ("demo 2 2nd round", "demo", 2, "2nd round"),
    ],
)
def test_log_text_is_parsed(text: str, key: str, quantity: int, note: str) -> None:
    request = parse_log(text, CATALOG)
    assert (request.activity_key, request.quantity, request.note) == (key, quantity, note)


@pytest.mark.parametrize(
    "bad",
    [
        "0",
        "-2",
        "2.5",
        "1001",
        "3x",
        "+4",
        "1e3",
        "1E2",
        "2e-1",
        "0x10",
        "0b11",
        "1_000",
        "1/2",
        "½",
        "３",
        "٣",
    ],
)
def test_bad_quantities_are_refused(bad: str) -> None:
    with pytest.raises(UserError, match="Quantity must be"):
        parse_log(f"call {bad}", CATALOG)


@pytest.mark.parametrize(
    ("text", "key", "understood"),
    [
        ("calls 4", "call", "calls"),
        ("demos", "demo", "demos"),
        ("prop 2", "proposal", "prop"),
        ("proposals sent 2", "proposal", "proposals sent"),
        ("call", "call", None),
    ],
)
def test_plurals_and_unambiguous_prefixes_name_an_activity(
    text: str, key: str, understood: str | None
) -> None:
    request = parse_log(text, CATALOG)
    assert (request.activity_key, request.understood) == (key, understood)


def test_a_leading_number_is_a_quantity_even_when_an_activity_name_starts_with_digits() -> None:
    catalog = [*CATALOG, CatalogItem("review", "10k review")]
    assert parse_log("10 calls", catalog).activity_key == "call"
    assert parse_log("10 calls", catalog).quantity == 10
    assert parse_log("10k review 2", catalog).activity_key == "review"


def test_an_ambiguous_prefix_asks_which_one() -> None:
    catalog = [*CATALOG, CatalogItem("deal", "Deal closed")]
    with pytest.raises(UserError) as error:
        parse_log("de 2", catalog)
    assert error.value.message == "`de` could be `deal` or `demo`: which one? See `/log help`."


def test_unknown_activity_suggests_the_closest_key() -> None:
    with pytest.raises(UserError) as error:
        parse_log("dmeo 2", CATALOG)
    assert "I don't know the activity `dmeo`. Did you mean `demo`?" in error.value.message


def test_long_notes_are_refused() -> None:
    with pytest.raises(UserError, match="at most 500 characters; yours has 501"):
        parse_log("call 1 " + "x" * 501, CATALOG)


def test_quantity_accepts_whole_numbers_only() -> None:
    assert parse_quantity(" 7 ") == 7
    with pytest.raises(UserError):
        parse_quantity("seven")


# -- mentions and boards -------------------------------------------------------------------
def test_mentions_are_read_from_escaped_text() -> None:
    assert parse_mention("<@U0REP2|dana>") == "U0REP2"
    assert parse_mention("<@U0REP2>") == "U0REP2"
    assert parse_mention("  ") is None
    with pytest.raises(UserError, match="Mention them with @"):
        parse_mention("@dana")


def test_board_request_defaults_to_this_week_and_my_team() -> None:
    request = parse_board("", ["Sales East"])
    assert (request.period, request.team, request.everyone) == (PeriodKind.WEEK, None, False)
    request = parse_board("quarter sales east", ["Sales East"])
    assert (request.period, request.team) == (PeriodKind.QUARTER, "Sales East")
    assert parse_board("today all", []).everyone
    assert parse_board("Quarterly", []).period == PeriodKind.QUARTER
    assert parse_board("season", []).period == PeriodKind.CYCLE
    assert parse_board("weekly all", []).everyone


@pytest.mark.parametrize("text", ["tomorrow", "week Sales West", "fortnight all"])
def test_unknown_period_or_team_is_refused_with_the_choices(text: str) -> None:
    with pytest.raises(UserError) as error:
        parse_board(text, ["Sales East"])
    assert "Periods: today, week, month, quarter, season, or `last week`" in error.value.message
    assert "Teams: Sales East" in error.value.message


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("last week", PeriodKind.WEEK),
        ("last month all", PeriodKind.MONTH),
        ("Last Quarter Sales East", PeriodKind.QUARTER),
        ("yesterday", PeriodKind.TODAY),
        ("previous weekly", PeriodKind.WEEK),
    ],
)
def test_last_asks_for_the_period_before(text: str, period: PeriodKind) -> None:
    request = parse_board(text, ["Sales East"])
    assert (request.period, request.previous) == (period, True)


@pytest.mark.parametrize("text", ["last", "last season", "last Sales East"])
def test_last_without_a_calendar_period_is_refused(text: str) -> None:
    with pytest.raises(UserError, match="`last` goes with `week`, `month` or `quarter`"):
        parse_board(text, ["Sales East"])


# -- numbers and quoted input --------------------------------------------------------------
def test_numbers_print_as_people_write_them() -> None:
    assert number(9_000_000) == "9,000,000"
    assert number(9e6) == "9,000,000"
    assert number(2.5) == "2.5"
    assert number(1 / 3) == "0.33"
    assert number(-1200.0) == "-1,200"
    assert number(float("inf")) == "–"
    assert number(float("nan")) == "–"


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_stored_value_renders_without_an_exponent(value: float) -> None:
    shown = number(value)
    assert "e" not in shown
    assert shown


def test_quoted_input_in_an_error_is_cut_to_about_100_characters() -> None:
    with pytest.raises(UserError) as error:
        parse_log("x" * 5000, CATALOG)
    quoted = error.value.message.split("`")[1]
    assert len(quoted) == 100
    assert quoted.endswith("…")


@pytest.mark.parametrize(
    ("raw", "value"),
    [("45", 45.0), ("-2.5", -2.5), ("1,200", 1200.0), ("12%", 12.0), (" .5 ", 0.5)],
)
def test_plain_decimals_are_read(raw: str, value: float) -> None:
    assert parse_decimal(raw) == value


@pytest.mark.parametrize(
    "raw", ["inf", "-inf", "nan", "NaN", "1e400", "1e3", "5²", "٣", "0x10", "", "1.2.3"]
)
def test_anything_but_a_plain_finite_decimal_is_refused(raw: str) -> None:
    with pytest.raises(UserError, match=r"must be a number such as 45 or 2\.5"):
        parse_decimal(raw)


def test_decimals_are_bounded() -> None:
    assert parse_decimal("1000000000000") == 1e12
    with pytest.raises(UserError, match="between -1,000,000,000,000 and 1,000,000,000,000"):
        parse_decimal("1000000000001")


@pytest.mark.parametrize("raw", ["5²", "2000000000", "-1", "1.5", "٣"])
def test_whole_numbers_use_plain_digits_within_bounds(raw: str) -> None:
    with pytest.raises(UserError, match="must be a whole number from 0 to 10,000"):
        parse_whole(raw, 0, 10_000, "Points")
    assert parse_whole("10,000", 0, 10_000, "Points") == 10_000


def test_the_log_form_reports_every_problem_at_once() -> None:
    problems = log_form_problems("", "lots", "x" * 501)
    assert problems == {
        "activity": "Pick an activity.",
        "quantity": "Quantity must be a whole number from 1 to 1000, not `lots`.",
        "note": "Notes can be at most 500 characters; yours has 501.",
    }
    assert log_form_problems("call", "", "") == {}
