"""Monday's digests: how each key result moved, points per rep, who to nudge."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.errors import clip
from bot.domain.numbers import number, percent
from bot.domain.okrs import Status
from bot.services.schedule.messages import (
    Digest,
    DigestKR,
)
from handlers import ids
from handlers.blockkit import (
    HEADER_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    Block,
    button,
    confidence_trend,
    context,
    packed_sections,
    progress_bar,
    section,
)
from handlers.okrs.forecast_text import need_sentence
from handlers.okrs.okr_blocks import STATUS_ICON, status_because


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
    attention = [
        kr
        for kr in digest.key_results
        if kr.status in (Status.AT_RISK, Status.OFF_TRACK) or kr.stale
    ]
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
        blocks.extend(_per_rep_blocks(digest, period))
    if digest.needs:
        blocks.append(
            section(
                "*What is needed*\n"
                + "\n".join(f":dart: {ref}: {need_sentence(need)}" for ref, need in digest.needs)
            )
        )
    if digest.manager:
        blocks.append({"type": "actions", "elements": [_dashboard_button(digest)]})
    text = f"{digest.team}: weekly OKR digest, {period}"
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


def _per_rep_blocks(digest: Digest, period: str) -> list[Block]:
    """For managers: each rep's points, the top movers, and who has been quiet."""
    rows = [
        f"<@{r.user}> {number(r.this_week)} (week before {number(r.last_week)})"
        for r in digest.reps
    ]
    blocks = packed_sections(rows, 6)
    if digest.movers:
        movers = ", ".join(f"<@{u}> +{number(d)}" for u, d in digest.movers)
        blocks.append(section(f"*Top movers:* {movers}"))
    if digest.inactive:
        blocks.extend(_inactive_blocks(digest, period))
    return blocks


def _dashboard_button(digest: Digest) -> Block:
    """Opens okrbot's App Home, where the manager's dashboard is."""
    dashboard: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open dashboard"},
        "action_id": ids.ACTION_OPEN_DASHBOARD,
    }
    if digest.app_id:
        dashboard["url"] = f"slack://app?team={digest.workspace}&id={digest.app_id}&tab=home"
    return dashboard


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
