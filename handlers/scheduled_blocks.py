"""Block Kit for scheduled messages: nudges, reminders, digests and leaderboard posts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, assert_never

from bot.domain.errors import clip
from bot.domain.numbers import number, percent
from bot.domain.okrs import Status
from bot.services.messages import (
    AssignmentInvite,
    CheckinReminder,
    Digest,
    DigestKR,
    LeaderboardPost,
    ManagerNudge,
    Nudge,
    Scheduled,
)
from handlers import ids
from handlers.blockkit import (
    HEADER_LIMIT,
    Block,
    badge,
    button,
    confidence_trend,
    context,
    packed_sections,
    plural,
    progress_bar,
    section,
)
from handlers.okr_blocks import STATUS_ICON, status_because

MESSAGE_BLOCKS = 50


def nudge_message(nudge: Nudge) -> dict[str, Any]:
    """16:00 and nothing logged today: the streak at stake and one-click logging."""
    if nudge.streak:
        stake = f":fire: Your *{plural(nudge.streak, 'working day')}* streak ends tonight unless you log something."
    else:
        stake = "Nothing logged today yet. One activity starts a streak."
    buttons = [
        button(f"+1 {name} ({plural(points, 'pt')})", ids.keyed(ids.ACTION_NUDGE_LOG, key), key)
        for key, name, points in nudge.activities
    ]
    blocks: list[Block] = [section(stake)]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    blocks.append(
        context("Or `/log <activity> <quantity>` · pause these with `/okr away until 2026-12-02`")
    )
    return {"text": "Nothing logged today yet", "blocks": blocks}


def reminder_message(reminder: CheckinReminder) -> dict[str, Any]:
    """Friday: the key results not checked in this week, and a button to do it."""
    lines = [f"• `{ref}` {title}" for ref, title in reminder.key_results]
    blocks = [
        section(":calendar: *Time for your weekly check-in.* Not checked in this week:"),
        *packed_sections(lines, MESSAGE_BLOCKS - 3),
        {
            "type": "actions",
            "elements": [button("Check in", ids.ACTION_OPEN_CHECKIN, style="primary")],
        },
    ]
    return {"text": f"Check-in due on {len(reminder.key_results)} key result(s)", "blocks": blocks}


def change_text(kr: DigestKR) -> str:
    """`+6 deals`, `-2 %`, `+30%`, or `no change`: never in points, which mean rewards."""
    if kr.value_change is not None and math.isfinite(kr.value_change):
        if kr.value_change == 0:
            return "no change"
        unit = f" {kr.unit}" if kr.unit else ""
        sign = "+" if kr.value_change > 0 else "-"
        return f"{sign}{number(abs(kr.value_change))}{unit}"
    moved = kr.progress - kr.progress_before
    if not math.isfinite(moved) or round(moved * 100) == 0:
        return "no change"
    return ("+" if moved > 0 else "") + percent(moved)


def confidence_text(confidences: Sequence[int]) -> str:
    """`confidence 7/10 ↑ (was 5)`, or `never checked in`."""
    return f"confidence {confidence_trend(confidences)}" if confidences else "never checked in"


def _kr_line(kr: DigestKR, digest: Digest) -> str:
    owner = f" · <@{kr.owner}>" if digest.manager else ""
    stale = " · :hourglass: stale" if kr.stale else ""
    return (
        f"{STATUS_ICON[kr.status]} `{kr.ref}` {kr.title} — {progress_bar(kr.progress)} "
        f"({change_text(kr)}) · {confidence_text(kr.confidences)}{owner}{stale}"
    )


def _objective_lines(digest: Digest) -> list[str]:
    lines = []
    for objective in digest.objectives:
        lines.append(
            f"*{objective.ref} · {objective.title}* — {progress_bar(objective.progress)} · "
            f"{status_because(objective.status, [(kr.ref, kr.status) for kr in objective.key_results])}"
        )
        lines.extend(f"    {_kr_line(kr, digest)}" for kr in objective.key_results)
        if not objective.key_results:
            lines.append("    No key results yet.")
    return lines


def nudge_value(user: str, built_at: datetime | None) -> str:
    """What a Nudge button carries: the rep, and when the digest was built."""
    return f"{user}|{int(built_at.timestamp())}" if built_at else user


def digest_message(digest: Digest) -> dict[str, Any]:
    """The weekly digest: results, effort, and what is needed. Per-person detail for managers.

    Every figure covers the same days, named in the header; the comparison is the week before.
    """
    gone = percent(digest.expected)
    audience = "your team's " if digest.manager else "the team's "
    period = digest.period if digest.period_over else f"{digest.period}, so far"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(f"{digest.team} · weekly OKR digest", HEADER_LIMIT),
            },
        },
        context(f"*{period}* · {digest.cycle}, {gone} of the cycle gone"),
        section(f"*How {audience}objectives moved, {period}*"),
    ]
    lines = _objective_lines(digest) or ["No team objectives this cycle yet: `/okr new`."]
    blocks.extend(packed_sections(lines, 10))
    attention = [kr for kr in digest.key_results if kr.status is not Status.ON_TRACK or kr.stale]
    if attention and digest.manager:
        items = ", ".join(
            f"`{kr.ref}` (<@{kr.owner}>, {kr.status.label}{', stale' if kr.stale else ''})"
            for kr in attention
        )
        blocks.append(section(f":warning: *Needs attention:* {items}"))
    this, before = digest.team_points
    blocks.append(
        section(f"*Activity points, {period}:* {number(this)} (the week before: {number(before)})")
    )
    if digest.manager:
        rows = [
            f"<@{r.user}> {number(r.this_week)} (week before {number(r.last_week)})"
            for r in digest.reps
        ]
        blocks.extend(packed_sections(rows, 6))
        if digest.movers:
            blocks.append(
                section(
                    "*Top movers:* " + ", ".join(f"<@{u}> +{number(d)}" for u, d in digest.movers)
                )
            )
        if digest.inactive:
            blocks.extend(_inactive_blocks(digest, period))
    if digest.needs:
        blocks.append(
            section("*What is needed*\n" + "\n".join(f":dart: {need}" for need in digest.needs))
        )
    if digest.manager:
        dashboard: Block = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open dashboard"},
            "action_id": ids.ACTION_OPEN_DASHBOARD,
        }
        if digest.app_id:
            dashboard["url"] = f"slack://app?team={digest.workspace}&id={digest.app_id}&tab=home"
        blocks.append({"type": "actions", "elements": [dashboard]})
    text = f"{digest.team}: weekly OKR digest, {period}"
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


NUDGE_BUTTONS = 20


def _inactive_blocks(digest: Digest, period: str) -> list[Block]:
    who = ", ".join(f"<@{u}>" for u in digest.inactive)
    blocks = [section(f"*No activity {period}:* {who}")]
    nudges = [
        button(
            f"Nudge {digest.names.get(user, user)}",
            ids.keyed(ids.ACTION_NUDGE_REP, user),
            nudge_value(user, digest.built_at),
        )
        for user in digest.inactive[:NUDGE_BUTTONS]
    ]
    for start in range(0, len(nudges), 5):
        blocks.append({"type": "actions", "elements": nudges[start : start + 5]})
    if len(digest.inactive) > NUDGE_BUTTONS:
        more = len(digest.inactive) - NUDGE_BUTTONS
        blocks.append(
            context(f"Nudge buttons for the first {NUDGE_BUTTONS}; {more} more are listed above.")
        )
    return blocks


def leaderboard_post(post: LeaderboardPost) -> dict[str, Any]:
    """Friday's team leaderboard."""
    scored = [row for row in post.rows if row.activity + row.result > 0]
    lines = [
        f"{badge(row.rank, row.activity + row.result)} <@{row.user}> — "
        f"*{number(row.activity + row.result)}* pts "
        f"(activity {number(row.activity)} · results {number(row.result)})"
        for row in scored
    ]
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{post.team} leaderboard · {post.week}"[:150]},
        },
        section("\n".join(lines) if lines else "No points this week yet."),
        *(
            [context(f"{plural(post.idle, 'teammate')} with no points yet this week.")]
            if post.idle and lines
            else []
        ),
    ]
    extras = []
    if post.climber:
        user, before, after = post.climber
        extras.append(f":rocket: Biggest climber: <@{user}>, #{before} → #{after}")
    if post.streaks:
        extras.append(
            ":fire: Streaks: " + ", ".join(f"<@{u}> {plural(n, 'day')}" for u, n in post.streaks)
        )
    if post.last_cheers is not None:
        extras.append(
            f":clap: Last week's board got {plural(post.last_cheers, 'cheer')}. React to cheer this one!"
        )
    if extras:
        blocks.append(section("\n".join(extras)))
    return {"text": f"{post.team} leaderboard, {post.week}", "blocks": blocks}


def invite_message(invite: AssignmentInvite) -> dict[str, Any]:
    """Asks the new owner of a key result to accept it; it counts for nothing until they do."""
    text = (
        f":dart: <@{invite.assigned_by}> made you the owner of `{invite.ref}` *{invite.title}* "
        f"({invite.objective}), worth {plural(invite.points, 'point')} when achieved. "
        "It counts once you accept it."
    )
    buttons = [
        button("Accept", ids.ACTION_ACCEPT_KR, invite.ref, style="primary"),
        button("Decline", ids.ACTION_DECLINE_KR, invite.ref),
    ]
    return {
        "text": f"{invite.ref}: accept or decline",
        "blocks": [section(text), {"type": "actions", "elements": buttons}],
    }


def manager_nudge_message(nudge: ManagerNudge) -> dict[str, Any]:
    text = f":wave: <@{nudge.manager}> is cheering you on: log today's first activity with `/log`."
    return {"text": text, "blocks": [section(text)]}


def render(message: Scheduled) -> dict[str, Any]:
    """The Slack message (`text` and `blocks`) for any scheduled message."""
    match message:
        case Nudge():
            return nudge_message(message)
        case CheckinReminder():
            return reminder_message(message)
        case Digest():
            return digest_message(message)
        case LeaderboardPost():
            return leaderboard_post(message)
        case ManagerNudge():
            return manager_nudge_message(message)
        case AssignmentInvite():
            return invite_message(message)
        case _:
            assert_never(message)
