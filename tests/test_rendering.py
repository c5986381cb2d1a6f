"""Rendering never fails, whatever value a key result holds: extreme, infinite or not a number."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.okrs import KRType, Level, Measure, Status, raw_progress
from bot.sandbox.blockkit_rules import message_problems
from bot.services.okrs.okr_views import CycleView, KRView, ObjectiveView
from bot.services.okrs.service import CheckInView, KRDetail, OkrPage
from bot.services.schedule.messages import Digest, DigestKR, DigestObjective
from handlers.okrs.okr_blocks import detail_message, page_message
from handlers.schedule.scheduled_blocks import digest_message
from tests.helpers import texts

EXTREME = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e-308, 0.0, -0.0, 9e15]),
)
MAYBE = st.one_of(st.none(), EXTREME)
NOW = datetime(2026, 11, 18, 15, tzinfo=UTC)
CYCLE = CycleView(name="2026-Q4", expected=0.5, ends=NOW, closed=False, days_left=43)


def kr_view(kr_type: KRType, start: float | None, target: float | None, current: float | None,
            progress: float) -> KRView:  # fmt: skip
    return KRView(
        ref="K1",
        title="Close deals",
        owner_id="U0REP1",
        kr_type=kr_type,
        unit="deals",
        start=start,
        target=target,
        current=current,
        milestones=(("Draft", True),) if kr_type is KRType.MILESTONES else (),
        progress=progress,
        score=progress,
        status=Status.AT_RISK,
        stale=False,
        confidences=(7,),
        last_checkin=NOW,
        points=10,
        needs=(),
        objective_ref="O1",
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    kr_type=st.sampled_from(list(KRType)),
    start=MAYBE,
    target=MAYBE,
    current=MAYBE,
    progress=EXTREME,
    change=MAYBE,
)
def test_pages_details_and_digests_render_any_stored_value(
    kr_type: KRType,
    start: float | None,
    target: float | None,
    current: float | None,
    progress: float,
    change: float | None,
) -> None:
    measure = Measure(kr_type=kr_type, start=start or 0.0, target=target or 0.0, current=current)
    shown_progress = raw_progress(measure)
    assert shown_progress == shown_progress  # finite: never nan
    view = kr_view(kr_type, start, target, current, progress)
    objective = ObjectiveView(
        ref="O1", title="Win", level=Level.TEAM, kind="committed", owner_label="Sales East", progress=progress, status=Status.AT_RISK, key_results=(view,),
        aligned=("O2",), parent_ref=None,
    )  # fmt: skip
    page = page_message(OkrPage("Team", CYCLE, [objective]))
    history = [
        CheckInView(at=NOW, user_id="U0REP1", value=current, confidence=7, note="note", blockers="")
    ]
    detail = detail_message(
        KRDetail(
            view=view, objective_title="Win", cycle=CYCLE, history=history, counts=[], feeds=[]
        )
    )
    digest_kr = DigestKR(
        ref="K1", title="Close deals", owner="U0REP1", progress=progress, progress_before=progress, status=Status.AT_RISK, stale=False, confidences=(), unit="deals",
        value_change=change,
    )  # fmt: skip
    digest = digest_message(
        Digest(
            team="Sales East",
            period="Mon 16 – Sun 22 Nov",
            cycle="2026-Q4",
            expected=progress,
            objectives=[
                DigestObjective(
                    ref="O1",
                    title="Win",
                    progress=progress,
                    status=Status.AT_RISK,
                    key_results=[digest_kr],
                )
            ],
            needs=[],
            chart=None,
            manager="U0MANAGER",
        )
    )
    for message in (page, detail, digest):
        assert message_problems(message) == []
        assert "nan" not in str(message).replace("Nan", "")


@pytest.mark.parametrize(
    ("name", "many"),
    [
        ("Demo", "demos"),
        ("Proposal sent", "proposals sent"),
        ("Meeting booked", "meetings booked"),
        ("Follow-up call", "follow-up calls"),
        ("Reply", "replies"),
        ("Box", "boxes"),
    ],
)
def test_activity_names_read_as_english_for_many_of_them(name: str, many: str) -> None:
    from bot.services.okrs.okr_views import plural as many_of

    assert many_of(name) == many


def test_one_point_is_a_pt_and_more_are_pts() -> None:
    from handlers.blockkit import pts

    assert (pts(1), pts(0), pts(1200), pts(-1)) == ("*1* pt", "*0* pts", "*1,200* pts", "*-1* pt")


def test_a_key_result_never_checked_in_says_so_once() -> None:
    from handlers.okrs.okr_blocks import kr_line

    never = KRView(
        ref="K1", title="Close 20 deals", owner_id="U0REP1", kr_type="increase_to", unit="deals", start=0.0, target=20.0, current=None, milestones=(), progress=0.0,
        score=0.0, status=Status.OFF_TRACK, stale=True, confidences=(), last_checkin=None, points=100, needs=(), objective_ref="O1",
    )  # fmt: skip
    line = kr_line(never)
    assert ":hourglass: Never checked in" in line
    assert "no check-in for 14 days" not in line
    young = replace(never, status=Status.TOO_EARLY, stale=False)
    assert ":white_circle: no status yet" in kr_line(young)
    assert "Never checked in yet" in kr_line(young)


def test_an_undo_that_takes_back_result_points_says_so() -> None:
    from bot.services.activities.log_results import LogResult, UndoResult
    from handlers.blocks import undone_message

    log = LogResult(
        log_id=1, user_id="U0REP2", activity="Demo", quantity=10, points=50, units_over_cap=0,
        daily_cap=None, note="", today_points=0, week_points=0, rank=None,
    )  # fmt: skip
    shown = texts(undone_message(UndoResult(log, 50, False, [("K2", 50)])))
    assert "`K2` is below its target again: 50 result points taken back" in shown
