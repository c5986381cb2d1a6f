"""Scheduling rules: local times in several timezones, DST, grace windows, holidays, keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.schedule import (
    DEFAULTS,
    WORKWEEK,
    Job,
    JobSchedule,
    due_day,
    next_day,
    occurrence,
    off_day,
    period_of,
    send_key,
)

NY, BERLIN, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
NUDGE = DEFAULTS[Job.ACTIVITY_NUDGE]


@pytest.mark.parametrize(
    ("tz", "utc_fire"),
    [
        (NY, datetime(2026, 11, 20, 21, 0, tzinfo=UTC)),
        (BERLIN, datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        (TOKYO, datetime(2026, 11, 20, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_nudge_fires_at_16_00_local_in_each_timezone(tz: ZoneInfo, utc_fire: datetime) -> None:
    assert due_day(NUDGE, tz, utc_fire - timedelta(minutes=1)) is None
    assert due_day(NUDGE, tz, utc_fire) == date(2026, 11, 20)
    assert due_day(NUDGE, tz, utc_fire + timedelta(hours=5, minutes=59)) == date(2026, 11, 20)
    assert due_day(NUDGE, tz, utc_fire + timedelta(hours=6)) is None  # grace window over


def test_weekends_holidays_and_away_days_are_skipped() -> None:
    saturday = datetime(2026, 11, 21, 21, 0, tzinfo=UTC)
    assert due_day(NUDGE, NY, saturday) is None
    friday = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    assert due_day(NUDGE, NY, friday, off_day({date(2026, 11, 20)}, None)) is None
    assert due_day(NUDGE, NY, friday, off_day(set(), date(2026, 12, 2))) is None
    assert due_day(NUDGE, NY, friday, off_day(set(), date(2026, 11, 19))) == date(2026, 11, 20)


def test_dst_changes_neither_skip_nor_double_a_nudge() -> None:
    # New York falls back on Sunday 1 Nov 2026 and springs forward on Sunday 14 Mar 2027.
    for start in (datetime(2026, 10, 28, 12, tzinfo=UTC), datetime(2027, 3, 10, 12, tzinfo=UTC)):
        end = start + timedelta(days=9)
        first_due: dict[date, datetime] = {}
        moment = start
        while moment < end:  # one tick a minute, as the scheduler runs
            day = due_day(NUDGE, NY, moment)
            if day is not None:
                first_due.setdefault(day, moment)
            moment += timedelta(minutes=1)
        expected = [
            start.date() + timedelta(days=n)
            for n in range(10)
            if (start.date() + timedelta(days=n)).weekday() < 5
            and start <= occurrence(start.date() + timedelta(days=n), time(16), NY) < end
        ]
        assert sorted(first_due) == expected
        assert all(first_due[day].astimezone(NY).time() == time(16, 0) for day in expected)
        assert len(expected) == 7


def test_a_time_inside_the_spring_forward_gap_still_happens_once() -> None:
    schedule = JobSchedule(time(2, 30), frozenset(range(7)))
    gap_day = date(2027, 3, 14)
    at = occurrence(gap_day, time(2, 30), NY)
    assert at.astimezone(NY).hour == 3  # 02:30 does not exist that night: 03:30 local
    assert due_day(schedule, NY, at) == gap_day


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sampled_from([NY, BERLIN, TOKYO]),
)
def test_at_most_one_day_is_due_and_it_matches_its_key(naive: datetime, tz: ZoneInfo) -> None:
    now = naive.replace(tzinfo=UTC)
    day = due_day(NUDGE, tz, now)
    if day is not None:
        assert occurrence(day, NUDGE.at, tz) <= now
        assert day.weekday() in WORKWEEK
    upcoming = next_day(NUDGE, tz, now)
    assert upcoming is not None
    assert occurrence(upcoming, NUDGE.at, tz) > now


def test_keys_are_per_local_day_or_iso_week() -> None:
    assert period_of(Job.ACTIVITY_NUDGE, date(2026, 11, 20)) == "2026-11-20"
    assert period_of(Job.MANAGER_DIGEST, date(2026, 11, 16)) == "2026-W47"
    assert (
        send_key(Job.LEADERBOARD_POST, "T1", "C1", date(2026, 11, 20))
        == "leaderboard-post:T1:C1:2026-W47"
    )


def test_switched_off_jobs_are_never_due() -> None:
    off = JobSchedule(time(16), WORKWEEK, enabled=False)
    assert due_day(off, NY, datetime(2026, 11, 20, 21, tzinfo=UTC)) is None
    assert next_day(off, NY, datetime(2026, 11, 20, 21, tzinfo=UTC)) is None
    assert off.describe() == "16:00 mon-fri (off)"
