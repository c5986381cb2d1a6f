"""Block Kit for scheduled messages: nudges, reminders, digests and leaderboard posts."""

from __future__ import annotations

from typing import Any, assert_never

from bot.domain.numbers import number
from bot.domain.okr_parsing import away_example
from bot.services.schedule.messages import (
    ApprovalRequest,
    AssignmentInvite,
    CheckinReminder,
    Digest,
    LeaderboardPost,
    ManagerNudge,
    Nudge,
    Scheduled,
)
from handlers import ids
from handlers.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    badge,
    button,
    context,
    packed_sections,
    plural,
    pts,
    section,
)
from handlers.schedule.digest_blocks import digest_message as digest_message
from handlers.schedule.digest_blocks import nudge_value as nudge_value


def nudge_message(nudge: Nudge) -> dict[str, Any]:
    """16:00 and nothing logged today: the streak at stake and one-click logging."""
    if nudge.streak:
        stake = (
            f":fire: Your streak of *{plural(nudge.streak, 'working day')}* ends tonight "
            "unless you log something."
        )
    else:
        stake = "Nothing logged today yet. One activity starts a streak."
    buttons = [
        button(f"+1 {name} ({plural(points, 'pt')})", ids.keyed(ids.ACTION_NUDGE_LOG, key), key)
        for key, name, points in nudge.activities
    ]
    blocks: list[Block] = [section(stake)]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    pause = f"`{away_example(nudge.today)}`" if nudge.today else "`/okr away until YYYY-MM-DD`"
    blocks.append(context(f"Or `/log <activity> <quantity>` · pause these with {pause}"))
    return {"text": "Nothing logged today yet", "blocks": blocks}


def reminder_message(reminder: CheckinReminder) -> dict[str, Any]:
    """Friday: the key results not checked in this week, and a button to do it."""
    lines = [f"• `{ref}` {title}" for ref, title in reminder.key_results]
    blocks = [
        section(":calendar: *Time for your weekly check-in.* Not checked in this week:"),
        *packed_sections(lines, MESSAGE_BLOCK_LIMIT - 3),
        {
            "type": "actions",
            "elements": [button("Check in", ids.ACTION_OPEN_CHECKIN, style="primary")],
        },
    ]
    return {"text": f"Check-in due on {len(reminder.key_results)} key result(s)", "blocks": blocks}


def leaderboard_post(post: LeaderboardPost) -> dict[str, Any]:
    """Friday's team leaderboard."""
    scored = [row for row in post.rows if row.rank is not None]
    lines = [
        f"{badge(row.rank, row.points)} <@{row.user_id}> — {pts(row.points)} "
        f"(activity {number(row.activity_points)} · results {number(row.result_points)})"
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
        was = f"#{before}" if before is not None else "unranked"
        extras.append(f":rocket: Biggest climber: <@{user}>, {was} → #{after}")
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


def approval_message(request: ApprovalRequest) -> dict[str, Any]:
    """Asks a manager to approve the points of a key result one of their people owns."""
    text = (
        f":hourglass_flowing_sand: <@{request.owner}>'s key result `{request.ref}` "
        f"*{request.title}* ({request.objective}) is worth {plural(request.points, 'point')} "
        "when achieved; they count once you (or another of their managers) approve them."
    )
    approve = button("Approve points", ids.ACTION_APPROVE_POINTS, request.ref, style="primary")
    return {
        "text": f"{request.ref}: points wait for your approval",
        "blocks": [section(text), {"type": "actions", "elements": [approve]}],
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
        case ApprovalRequest():
            return approval_message(message)
        case _:
            assert_never(message)
