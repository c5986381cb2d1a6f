"""Block Kit for scheduled messages: nudges, reminders, digests and leaderboard posts."""

from __future__ import annotations

from typing import Any

from bot.domain.okrs import Status, progress_bar
from bot.services.messages import CheckinReminder, Digest, LeaderboardPost, ManagerNudge, Nudge
from handlers import ids
from handlers.blocks import MEDALS, Block, button, context, packed_sections, plural, section
from handlers.okr_blocks import STATUS_ICON

MESSAGE_BLOCKS = 50


def nudge_message(nudge: Nudge) -> dict[str, Any]:
    """16:00 and nothing logged today: the streak at stake and one-click logging."""
    if nudge.streak:
        stake = f":fire: Your *{plural(nudge.streak, 'working day')}* streak ends tonight unless you log something."
    else:
        stake = "Nothing logged today yet. One activity starts a streak."
    buttons = [
        button(f"+1 {name} ({plural(points, 'pt')})", ids.ACTION_NUDGE_LOG, key)
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


def _delta(now: float, before: float) -> str:
    change = round((now - before) * 100)
    return f"+{change} pts" if change > 0 else f"{change} pts" if change < 0 else "no change"


def digest_message(digest: Digest) -> dict[str, Any]:
    """The weekly digest: results, effort, and what is needed. Per-person detail for managers."""
    gone = round(digest.expected * 100)
    audience = "your team " if digest.manager else ""
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{digest.team} · weekly OKR digest"[:150]},
        },
        context(f"{digest.week} · {digest.cycle}, {gone}% of the cycle gone"),
    ]
    kr_lines = [
        f"{STATUS_ICON[kr.status]} `{kr.ref}` {kr.title} — {progress_bar(kr.progress)} "
        f"({_delta(kr.progress, kr.progress_week_ago)} this week) · confidence {kr.confidence}"
        + (f" · <@{kr.owner}>" if digest.manager else "")
        + (" · :hourglass: stale" if kr.stale else "")
        for kr in digest.key_results
    ]
    blocks.append(section(f"*How {audience}key results moved*"))
    blocks.extend(
        packed_sections(kr_lines or ["No team key results this cycle yet: `/okr new`."], 10)
    )
    attention = [kr for kr in digest.key_results if kr.status is not Status.ON_TRACK or kr.stale]
    if attention and digest.manager:
        items = ", ".join(
            f"`{kr.ref}` (<@{kr.owner}>, {kr.status.label}{', stale' if kr.stale else ''})"
            for kr in attention
        )
        blocks.append(section(f":warning: *Needs attention:* {items}"))
    this, last = digest.team_points
    blocks.append(section(f"*Activity points:* {this} this week, {last} last week"))
    if digest.manager:
        rows = [f"<@{r.user}> {r.this_week} (last week {r.last_week})" for r in digest.reps]
        blocks.extend(packed_sections(rows, 6))
        if digest.movers:
            blocks.append(
                section("*Top movers:* " + ", ".join(f"<@{u}> +{d}" for u, d in digest.movers))
            )
        if digest.inactive:
            blocks.append(
                section(
                    "*No activity yet this week:* " + ", ".join(f"<@{u}>" for u in digest.inactive)
                )
            )
            nudges = [
                button(f"Nudge {user}"[:75], ids.ACTION_NUDGE_REP, user)
                for user in digest.inactive[:20]
            ]
            for start in range(0, len(nudges), 5):
                blocks.append({"type": "actions", "elements": nudges[start : start + 5]})
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
    return {"text": f"{digest.team}: weekly OKR digest", "blocks": blocks[:MESSAGE_BLOCKS]}


def leaderboard_post(post: LeaderboardPost) -> dict[str, Any]:
    """Friday's team leaderboard."""
    lines = [
        f"{MEDALS.get(row.rank, f'{row.rank}.')} <@{row.user}> — *{row.activity + row.result}* pts "
        f"(activity {row.activity} · results {row.result})"
        for row in post.rows
    ]
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"{post.team} leaderboard · {post.week}"[:150]},
        },
        section("\n".join(lines) if lines else "No points this week yet."),
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


def manager_nudge_message(nudge: ManagerNudge) -> dict[str, Any]:
    text = f":wave: <@{nudge.manager}> is cheering you on: log today's first activity with `/log`."
    return {"text": text, "blocks": [section(text)]}
