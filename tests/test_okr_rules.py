"""OKR maths: progress per type, roll-up, pace, confidence, and the "what is needed" forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.forecast import FeedFacts, what_is_needed
from bot.domain.okrs import (
    KRType,
    Measure,
    Status,
    check_span,
    elapsed_fraction,
    is_stale,
    pace_status,
    raw_progress,
    rollup,
    score,
    worst,
)
from handlers.blockkit import confidence_trend, progress_bar
from handlers.okrs.forecast_text import need_sentence

NOW = datetime(2026, 11, 18, 15, tzinfo=UTC)
END = datetime(2027, 1, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("measure", "shown", "scored"),
    [
        (Measure(kr_type=KRType.INCREASE_TO, start=0, target=20, current=5), 0.25, 0.25),
        (Measure(kr_type=KRType.INCREASE_TO, start=0, target=20, current=24), 1.2, 1.0),
        (Measure(kr_type=KRType.INCREASE_TO, start=10, target=20, current=5), -0.5, 0.0),
        (Measure(kr_type=KRType.DECREASE_TO, start=10, target=5, current=7), 0.6, 0.6),
        (Measure(kr_type=KRType.INCREASE_TO, start=0, target=20, current=None), 0.0, 0.0),
        (Measure(kr_type=KRType.STAY_ABOVE, start=0, target=90, current=91), 1.0, 1.0),
        (Measure(kr_type=KRType.STAY_ABOVE, start=0, target=90, current=89.9), 0.0, 0.0),
        (Measure(kr_type=KRType.STAY_BELOW, start=0, target=5, current=5), 1.0, 1.0),
        (Measure(kr_type=KRType.STAY_BELOW, start=0, target=5, current=6), 0.0, 0.0),
        (Measure(kr_type=KRType.BOOLEAN, start=0, target=1, current=1), 1.0, 1.0),
        (Measure(kr_type=KRType.BOOLEAN, start=0, target=1, current=0), 0.0, 0.0),
        (
            Measure(
                kr_type=KRType.MILESTONES,
                start=0,
                target=0,
                current=None,
                milestones_done=2,
                milestones_total=3,
            ),
            2 / 3,
            2 / 3,
        ),
        (
            Measure(
                kr_type=KRType.MILESTONES,
                start=0,
                target=0,
                current=None,
                milestones_done=0,
                milestones_total=0,
            ),
            0.0,
            0.0,
        ),
    ],
)
def test_progress_per_type(measure: Measure, shown: float, scored: float) -> None:
    assert raw_progress(measure) == pytest.approx(shown)
    assert score(measure) == pytest.approx(scored)


@given(
    start=st.floats(-1e6, 1e6),
    span=st.floats(0.001, 1e6),
    current=st.floats(-1e7, 1e7),
    decreasing=st.booleans(),
)
def test_scores_always_lie_in_0_to_1_and_grow_toward_the_target(
    start: float, span: float, current: float, decreasing: bool
) -> None:
    kr_type = KRType.DECREASE_TO if decreasing else KRType.INCREASE_TO
    target = start - span if decreasing else start + span
    value = score(Measure(kr_type=kr_type, start=start, target=target, current=current))
    assert 0.0 <= value <= 1.0
    closer = current - span / 10 if decreasing else current + span / 10
    assert score(Measure(kr_type=kr_type, start=start, target=target, current=closer)) >= value


@pytest.mark.parametrize(
    ("kr_type", "start", "target", "problem"),
    [
        (KRType.INCREASE_TO, 5, 5, "the target must differ from the start"),
        (KRType.INCREASE_TO, 5, 1, "use decrease_to"),
        (KRType.DECREASE_TO, 1, 5, "use increase_to"),
        (KRType.INCREASE_TO, None, 5, "start and target are required"),
        (KRType.STAY_BELOW, None, None, "a threshold (target) is required"),
    ],
)
def test_nonsense_spans_are_refused(
    kr_type: KRType, start: float | None, target: float | None, problem: str
) -> None:
    message = check_span(kr_type, start, target)
    assert message is not None
    assert problem in message


def test_valid_spans_pass() -> None:
    assert check_span(KRType.INCREASE_TO, 0, 20) is None
    assert check_span(KRType.BOOLEAN, None, None) is None
    assert check_span(KRType.STAY_ABOVE, None, 90) is None


def test_rollup_is_the_weighted_mean() -> None:
    assert rollup([(1.0, 1), (0.0, 1)]) == 0.5
    assert rollup([(1.0, 3), (0.0, 1)]) == 0.75
    assert rollup([]) == 0.0


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.1, 10)), min_size=1, max_size=8))
def test_rollup_stays_between_the_lowest_and_highest_score(
    pairs: list[tuple[float, float]],
) -> None:
    value = rollup(pairs)
    assert min(s for s, _ in pairs) - 1e-9 <= value <= max(s for s, _ in pairs) + 1e-9


@pytest.mark.parametrize(
    ("progress", "expected", "status"),
    [
        (0.5, 0.5, Status.ON_TRACK),
        (0.475, 0.5, Status.ON_TRACK),
        (0.47, 0.5, Status.AT_RISK),
        (0.375, 0.5, Status.AT_RISK),
        (0.37, 0.5, Status.OFF_TRACK),
        (0.0, 0.0, Status.ON_TRACK),
    ],
)
def test_pace_status_thresholds(progress: float, expected: float, status: Status) -> None:
    assert pace_status(progress, expected) is status


def test_elapsed_fraction_staleness_and_worst() -> None:
    start = datetime(2026, 10, 1, 4, tzinfo=UTC)
    assert elapsed_fraction(start, END, start) == 0.0
    assert elapsed_fraction(start, END, END + timedelta(days=3)) == 1.0
    assert 0.5 < elapsed_fraction(start, END, NOW) < 0.55
    assert is_stale(None, NOW - timedelta(days=15), NOW)
    assert not is_stale(NOW - timedelta(days=13), NOW - timedelta(days=60), NOW)
    assert worst([Status.ON_TRACK, Status.OFF_TRACK, Status.AT_RISK]) is Status.OFF_TRACK


def test_confidence_trend_and_bars() -> None:
    assert confidence_trend([]) == "no confidence yet"
    assert confidence_trend([6]) == "6/10"
    assert confidence_trend([6, 8]) == "8/10 ↑ (was 6)"
    assert confidence_trend([8, 5]) == "5/10 ↓ (was 8)"
    assert progress_bar(0.4) == "▓▓▓▓░░░░░░ 40%"
    assert progress_bar(1.2) == "▓▓▓▓▓▓▓▓▓▓ 120%"


# -- what is needed ------------------------------------------------------------------------
def facts(**changes: object) -> FeedFacts:
    base: dict[str, object] = {
        "activity": "demos",
        "unit": "deals",
        "units_done": 30,
        "gained": 6,
        "remaining": 14,
        "target": 20,
        "cycle_end": NOW + timedelta(weeks=6),
        "now": NOW,
    }
    base.update(changes)
    return FeedFacts(**base)  # type: ignore[arg-type]


def test_projection_at_the_current_conversion_rate() -> None:
    need = what_is_needed(facts())
    # 6 deals from 30 demos = 0.2 deals a demo; 14 deals need 70 demos over 6 weeks
    assert (need.more, need.per_week) == (70, 12)
    assert (
        need_sentence(need)
        == "At your current rate, 70 more demos — about 12 a week — reach 20 deals."
    )


def test_no_activity_yet_says_so() -> None:
    need = what_is_needed(facts(units_done=0, gained=0))
    assert need.more is None
    assert (
        need_sentence(need)
        == "No demos logged this cycle yet, so there is no rate to project from."
    )


def test_no_progress_yet_does_not_divide_by_zero() -> None:
    need = what_is_needed(facts(gained=0))
    assert need.more is None
    assert "30 demos logged but no deals yet" in need_sentence(need)


def test_target_already_reached() -> None:
    need = what_is_needed(facts(remaining=0))
    assert need_sentence(need) == "Target of 20 deals reached: no more demos needed for it."


def test_last_week_of_the_cycle_asks_for_everything_now() -> None:
    need = what_is_needed(facts(cycle_end=NOW + timedelta(days=4)))
    assert (need.more, need.per_week) == (70, 70)
    assert "all in the final week" in need_sentence(need)


def test_an_ended_cycle_reports_the_shortfall() -> None:
    assert need_sentence(what_is_needed(facts(cycle_end=NOW - timedelta(days=1)))) == (
        "The cycle has ended 14 deals short of 20 deals."
    )


@given(
    units=st.integers(1, 10_000),
    gained=st.floats(0.01, 1_000),
    remaining=st.floats(0.01, 1_000),
    weeks=st.floats(1.01, 20),
)
def test_the_projected_units_are_enough_and_not_one_too_many(
    units: int, gained: float, remaining: float, weeks: float
) -> None:
    need = what_is_needed(
        facts(
            units_done=units,
            gained=gained,
            remaining=remaining,
            cycle_end=NOW + timedelta(weeks=weeks),
        )
    )
    assert need.more is not None
    assert need.per_week is not None
    rate = gained / units
    assert need.more * rate >= remaining * (1 - 1e-9)
    assert (need.more - 1) * rate < remaining
    assert need.per_week * weeks >= need.more * (1 - 1e-9)


def test_check_in_values_by_type() -> None:
    from bot.domain.okr_parsing import parse_value

    assert parse_value(KRType.INCREASE_TO, "1,200", 0) == (1200.0, None)
    assert parse_value(KRType.STAY_BELOW, "4.5%", 0) == (4.5, None)
    assert parse_value(KRType.BOOLEAN, "Done", 0) == (1.0, None)
    assert parse_value(KRType.BOOLEAN, "no", 0) == (0.0, None)
    assert parse_value(KRType.MILESTONES, "2/3", 3) == (2.0, [True, True, False])
    assert parse_value(KRType.MILESTONES, "ticks:0,2", 3) == (2.0, [True, False, True])
    assert parse_value(KRType.MILESTONES, "ticks:", 3) == (0.0, [False, False, False])
