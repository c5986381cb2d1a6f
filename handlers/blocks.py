"""Block Kit builders: pure functions from service results to Slack message and view dicts.

The building blocks themselves are in handlers.blockkit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import commands
from bot.domain.commands import help_lines, help_text
from bot.domain.errors import clip
from bot.domain.numbers import number, percent
from bot.domain.ranking import Standing
from bot.services.activities.service import LogResult, UndoResult
from bot.services.activities.standings import Board, PointsSummary
from bot.services.context import CatalogEntry
from handlers import ids
from handlers.activities.log_form import log_modal as log_modal
from handlers.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    VIEW_BLOCK_LIMIT,
    Block,
    badge,
    button,
    context,
    echo,
    packed_sections,
    plural,
    pts,
    section,
)


def _rank_line(result: LogResult) -> str:
    if result.rank is None:
        return ""
    where = f"in *{result.rank.team}*" if result.rank.team else "in the workspace"
    return f" · #{result.rank.rank} of {result.rank.size} {where} this week"


def unknown_activity_message(message: str, fix: str | None) -> dict[str, Any]:
    """`/log` of an activity okrbot does not know; with a close one, a button that logs it
    with the same quantity and note."""
    blocks: list[Block] = [section(f":warning: {message}")]
    if fix:
        label = clip(f"Log {fix}", 75)
        blocks.append(
            {"type": "actions", "elements": [button(label, ids.ACTION_LOG_SUGGESTION, fix)]}
        )
    return {"text": f":warning: {message}", "blocks": blocks}


def log_message(result: LogResult) -> dict[str, Any]:
    """The ephemeral reply to `/log`, with an Undo button."""
    headline = (
        f":white_check_mark: Logged *{result.quantity} × {result.activity}* "
        f"— *+{plural(result.points, 'point')}*"
    )
    blocks = [section(headline + (f"\n>{result.note}" if result.note else ""))]
    if result.understood:
        blocks.append(
            context(
                f"Read `{echo(result.understood)}` as *{result.activity}* (`/log help` lists them all)."
            )
        )
    if result.units_over_cap:
        blocks.append(
            context(
                f":no_entry_sign: {result.units_over_cap} over today's cap of {result.daily_cap} "
                f"{result.activity}: recorded, but they earn no points."
            )
        )
    for kr in result.moved:
        target = f"/{number(kr.target)}" if kr.target is not None else ""
        unit = f" {kr.unit}" if kr.unit else ""
        blocks.append(
            context(
                f":dart: Moves `{kr.ref}` {kr.title}: now {number(kr.current)}{target}{unit} "
                f"({percent(kr.progress)})"
            )
        )
    blocks.append(
        context(
            f"Today {pts(result.today_points)} · This week {pts(result.week_points)}"
            + _rank_line(result)
        )
    )
    blocks.append(
        {"type": "actions", "elements": [button("Undo", ids.ACTION_UNDO, str(result.log_id))]}
    )
    text = f"Logged {result.quantity} × {result.activity}: +{plural(result.points, 'point')}"
    return {"text": text, "blocks": blocks}


def undone_message(undo: UndoResult) -> dict[str, Any]:
    """The `/log` reply after Undo: the entry struck through and the points taken back."""
    result = undo.log
    line = (
        f":leftwards_arrow_with_hook: ~Logged {result.quantity} × {result.activity}~ "
        f"— undone, {plural(undo.points_reversed, 'point')} taken back."
    )
    blocks = [section(line)]
    for ref, points in undo.results_taken_back:
        blocks.append(
            section(
                f":arrow_down: `{ref}` is below its target again: "
                f"{plural(points, 'result point')} taken back (earned again when it is reached)."
            )
        )
    blocks.append(
        context(f"Today {pts(result.today_points)} · This week {pts(result.week_points)}")
    )
    return {"text": f"Undone: {result.quantity} × {result.activity}", "blocks": blocks}


def catalog_message(catalog: Sequence[CatalogEntry]) -> dict[str, Any]:
    """`/log help`: how to log, and every activity with its points."""
    lines = [*help_lines(commands.LOG), ""]
    lines.append("*Activities*")
    for entry in catalog:
        cap = f" (points for up to {entry.daily_cap} a day)" if entry.daily_cap else ""
        lines.append(f"• `{entry.key}` — {entry.name}: {plural(entry.points, 'point')} each{cap}")
    lines.append("")
    lines.append("See your points with `/points` and the team board with `/leaderboard`.")
    return {"text": "okrbot activities", "blocks": packed_sections(lines, MESSAGE_BLOCK_LIMIT)}


def points_message(summary: PointsSummary, caller: str) -> dict[str, Any]:
    """`/points`: week and quarter, activity and result points, and the streak."""
    who = "Your points" if summary.user_id == caller else f"Points for <@{summary.user_id}>"
    fields = []
    for label, totals in (("This week", summary.week), ("This quarter", summary.quarter)):
        fields.append(
            {
                "type": "mrkdwn",
                "text": f"*{label}* ({totals.period.label})\n{pts(totals.total)} — "
                f"activity {totals.activity} · results {totals.result}",
            }
        )
    streak = (
        f":fire: Streak: *{plural(summary.streak, 'working day')}* in a row with an activity"
        if summary.streak
        else "No streak going yet: log an activity today to start one."
    )
    blocks = [section(f"*{who}*"), {"type": "section", "fields": fields}, context(streak)]
    text = f"{who}: {summary.week.total} this week, {summary.quarter.total} this quarter"
    return {"text": text, "blocks": blocks}


def _board_line(row: Standing, caller: str | None) -> str:
    you = " _(you)_" if row.user_id == caller else ""
    if row.points <= 0:
        return f"• <@{row.user_id}> — no points yet{you}"
    detail = (
        f" (activity {number(row.activity_points)} · results {number(row.result_points)})"
        if row.result_points
        else ""
    )
    return f"{badge(row.rank, row.points)} <@{row.user_id}> — {pts(row.points)}{detail}{you}"


POINTS_HELP = help_text(commands.POINTS)
LEADERBOARD_HELP = help_text(commands.LEADERBOARD)


def board_title(board: Board) -> str:
    """`Sales East — week 47, 2026`."""
    scope = board.team or "Everyone"
    return f":trophy: *{scope}* — {board.period.label}"


def board_message(
    board: Board, viewer: str | None, share_value: str | None = None, shared_by: str | None = None
) -> dict[str, Any]:
    """A leaderboard. For a `viewer`, their own row is marked and added when outside the top 10;
    `share_value` adds a Share button; `shared_by` credits whoever posted it in the channel."""
    everyone = board.team is None
    # People without points come last; on the workspace-wide board they are only counted.
    shown = [row for row in board.top if row.points > 0 or not everyone]
    lines = [_board_line(row, viewer) for row in shown]
    if viewer is not None and board.me is not None and board.me not in shown:
        lines.extend(["…", _board_line(board.me, viewer)])
    idle = board.size - sum(1 for row in board.top if row.points > 0)
    if everyone and idle > 0 and any(row.points > 0 for row in board.top):
        lines.append(
            f"_{plural(idle, 'person')} with no points yet this period_".replace(
                "persons", "people"
            )
        )
    if not any(row.points > 0 for row in board.top):
        lines = ["No points yet for this period. Be the first: `/log call`."]
    blocks = [section(board_title(board)), section("\n".join(lines))]
    if viewer is not None and board.caller_without_team:
        blocks.append(context("You're not in a team yet, so this board shows everyone."))
    if share_value is not None:
        share = button("Share in channel", ids.ACTION_SHARE_BOARD, share_value)
        blocks.append({"type": "actions", "elements": [share]})
    if shared_by is not None:
        blocks.append(context(f"Shared by <@{shared_by}> · `/leaderboard` to see where you stand"))
    return {
        "text": f"Leaderboard: {board.team or 'Everyone'}, {board.period.label}",
        "blocks": blocks,
    }


def home_view(
    summary: PointsSummary,
    board: Board,
    okr_blocks: list[Block] | None = None,
    *,
    manages: bool = False,
    example_ref: str | None = None,
) -> dict[str, Any]:
    """The App Home dashboard: points, rank, streak, buttons, OKRs and the team board. A
    manager or admin who logs nothing sees their team's week instead of an empty rank;
    `example_ref` is a key result of the viewer's own, for the footer's check-in example."""
    me = board.me
    week = summary.week
    if manages and (me is None or me.points <= 0):
        leader = f" · leading: <@{board.top[0].user_id}>" if board.scorers else ""
        title = f"{board.team or 'Workspace'} this week"
        overview = (
            f"*{week.period.label}*: {pts(board.total)} from {board.scorers} of "
            f"{plural(board.size, 'person').replace('persons', 'people')}{leader}"
        )
    else:
        rank = (
            f"#{me.rank} of {board.scorers} in *{board.team or 'the workspace'}*"
            if me and me.points > 0
            else "not ranked yet: log an activity to get on the board"
        )
        title = "Your scoreboard"
        overview = (
            f"*This week* ({week.period.label}): {pts(week.total)} — activity {week.activity} · "
            f"results {week.result}\n*Rank:* {rank}\n"
            f"*Streak:* {plural(summary.streak, 'working day')}"
        )
    buttons = [
        button("Log activity", ids.ACTION_OPEN_LOG_MODAL, style="primary"),
        button("Check in", ids.ACTION_OPEN_CHECKIN),
        button("New objective", ids.ACTION_OPEN_NEW_OBJECTIVE),
    ]
    head: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        section(overview),
        {"type": "actions", "elements": buttons},
    ]
    checkin = f"`/checkin {example_ref} <value> <confidence>`" if example_ref else "`/checkin`"
    tail: list[Block] = [
        {"type": "divider"},
        *board_message(board, summary.user_id)["blocks"][:2],
        context(f"`/log call 3` logs activities · {checkin} checks in · `/okr help`"),
    ]
    middle = list(okr_blocks or [])
    room = VIEW_BLOCK_LIMIT - len(head) - len(tail)
    if len(middle) > room:
        more = "…more than fits here: `/okr` and `/okr team <name>` list everything."
        middle = [*middle[: room - 1], context(more)]
    return {"type": "home", "blocks": [*head, *middle, *tail]}
