"""The sandbox's Block Kit renderer, on every block and element type okrbot sends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.okrs import KRType, Status
from bot.sandbox.blockkit_html import blocks_html, message_html, mrkdwn
from bot.services.activities.standings import Board
from bot.services.okrs.okr_views import CycleView, KRView
from handlers import blocks, home_blocks, ids
from handlers.okrs import okr_forms

NOW = datetime(2026, 11, 18, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("*bold* and _italic_ and ~gone~", "<b>bold</b> and <i>italic</i> and <s>gone</s>"),
        ("`/log call 3`", "<code>/log call 3</code>"),
        (">a note", "<blockquote>a note</blockquote>"),
        ("<https://example.com|the site>", '<a href="https://example.com" target="_blank" rel="noopener">the site</a>'),
        ("<@U0REP1> did it", '<span class="mention" data-user="U0REP1">@Ann Lee</span> did it'),
        ("<@U0NOBODY>", "@U0NOBODY"),
        (":tada: :fire: :unknown_code:", "🎉 🔥 :unknown_code:"),
        ("<script>alert(1)</script> & co", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
        ("`*not bold*`", "<code>*not bold*</code>"),
        ("copy it:\n```okr_1a2b_*x*```", "copy it:<br><pre>okr_1a2b_*x*</pre>"),
        ("```\nline one\n<b>two</b>\n```", "<pre>line one\n&lt;b&gt;two&lt;/b&gt;</pre>"),
    ],
)  # fmt: skip
def test_mrkdwn(text: str, shown: str) -> None:
    assert shown in mrkdwn(text, {"U0REP1": "Ann Lee"})


def test_a_log_reply_renders_its_section_quote_context_and_undo_button() -> None:
    from bot.services.activities.service import LogResult

    result = LogResult(
        log_id=7,
        user_id="U0REP1",
        activity="Call",
        quantity=3,
        points=3,
        units_over_cap=0,
        daily_cap=None,
        note="to <b>retail</b>",
        today_points=3,
        week_points=9,
        rank=None,
    )
    page = message_html(blocks.log_message(result))
    assert "<b>3 × Call</b>" in page
    assert "<blockquote>to &lt;b&gt;retail&lt;/b&gt;</blockquote>" in page
    assert f'data-action-id="{ids.ACTION_UNDO}"' in page
    assert 'data-value="7"' in page


def test_fields_headers_dividers_and_section_accessories() -> None:
    page = blocks_html(
        [
            {"type": "header", "text": {"type": "plain_text", "text": "Your scoreboard"}},
            {"type": "divider"},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*This week*\n5 pts"}]},
            *home_blocks.schedule_blocks([("activity-nudge", "16:00 mon-fri", True)]),
        ]
    )
    assert "<h3>Your scoreboard</h3>" in page
    assert "<hr>" in page
    assert '<div class="field"><b>This week</b><br>5 pts</div>' in page
    assert f'data-action-id="{ids.ACTION_SWITCH_JOB}"' in page
    assert 'data-value="activity-nudge:off"' in page


def test_buttons_keep_their_style_url_and_confirm_dialog() -> None:
    cycle = CycleView(name="2026-Q4", expected=0.5, ends=NOW, closed=False, days_left=43)
    page = blocks_html([{"type": "actions", "elements": [home_blocks.close_cycle_button(cycle)]}])
    assert 'class="button button-danger"' in page
    confirm = page.split('data-confirm="')[1].split('"')[0]
    dialog = json.loads(confirm.replace("&quot;", '"'))
    assert dialog["title"]["text"] == "Close 2026-Q4 43 days early?"
    linked = blocks_html(
        [{"type": "actions", "elements": [{**blocks.button("Open", "open"), "url": "slack://app"}]}]
    )
    assert 'data-url="slack://app"' in linked


def test_the_log_form_renders_a_select_a_number_input_and_a_note() -> None:
    from bot.services.context import CatalogEntry

    view = blocks.log_modal(
        [CatalogEntry(id=1, key="call", name="Call", points=1, daily_cap=None)], "{}"
    )
    page = blocks_html(view["blocks"])
    assert '<select class="select"' in page
    assert '<option value="call">Call (1 pt)</option>' in page
    assert 'value="1"' in page  # the quantity's initial value
    assert "<textarea" in page
    assert 'maxlength="500"' in page
    assert 'data-error-for="quantity"' in page


def test_the_checkin_form_renders_checkboxes_and_the_objective_form_a_people_picker() -> None:
    kr = KRView(
        ref="K4", title="Referral program", owner_id="U0REP1", kr_type=KRType.MILESTONES, unit="", start=None, target=None, current=None,
        milestones=(("Draft", True), ("Pilot", False)), progress=0.5, score=0.5, status=Status.ON_TRACK, stale=False, confidences=(7,), last_checkin=NOW, points=30,
        needs=(), objective_ref="O2",
    )  # fmt: skip
    checkin = blocks_html(okr_forms.checkin_modal([kr])["blocks"])
    assert 'type="checkbox" value="0" checked' in checkin
    assert 'type="checkbox" value="1">' in checkin
    objective = blocks_html(
        okr_forms.new_objective_modal(["Sales East"])["blocks"], {"U0REP2": "Bo"}
    )
    assert 'data-kind="users_select"' in objective
    assert '<option value="U0REP2">Bo</option>' in objective


def test_images_and_context_elements() -> None:
    page = blocks_html(
        [
            {"type": "image", "image_url": "/files/F1.png", "alt_text": "progress chart"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": ":fire: *3* days"}]},
        ]
    )
    assert '<img class="image" src="/files/F1.png" alt="progress chart">' in page
    assert "🔥 <b>3</b> days" in page


def test_a_board_with_mentions_shows_names() -> None:
    from bot.domain.periods import Period, PeriodKind
    from bot.domain.ranking import Standing

    period = Period(PeriodKind.WEEK, NOW, NOW, "week 47, 2026")
    board = Board(
        period=period, team="Sales East", top=[Standing("U0REP1", 1, 5, 0)], me=None, size=3
    )
    page = message_html(blocks.board_message(board, None), {"U0REP1": "Ann Lee"})
    assert "🥇" in page
    assert "@Ann Lee" in page


def test_people_names_and_placeholders_cannot_inject_html() -> None:
    picker = blocks_html(
        [{"type": "input", "block_id": "o", "label": {"type": "plain_text", "text": "Owner"},
          "element": {"type": "users_select", "action_id": "owner"}}],
        {"U1": '<img src=x onerror="alert(1)">'},
    )  # fmt: skip
    assert "<img src=x" not in picker
    assert "&lt;img src=x" in picker
    assert mrkdwn("a\x00b\x01c *d*") == "abc <b>d</b>"


def test_a_dm_conversation_is_its_d_channel() -> None:
    from bot.sandbox.screen import channel_of as _channel_of

    assert _channel_of("dm:U0ANN") == "D0ANN"
    assert _channel_of("C0EAST") == "C0EAST"
