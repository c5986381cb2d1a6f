"""Block Kit for OKRs: pages, key-result detail, check-in results and the two forms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain import commands
from bot.domain.commands import help_text
from bot.domain.errors import clip
from bot.domain.kr_types import kind_of
from bot.domain.numbers import number, percent
from bot.domain.okrs import Status
from bot.services.checkins import CheckinResult
from bot.services.okr_views import CycleView, KRView, ObjectiveView
from bot.services.okrs import HomeOkrs, KRDetail, OkrPage
from handlers import ids
from handlers.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    confidence_trend,
    context,
    plural,
    progress_bar,
    section,
)

STATUS_ICON = {
    Status.ON_TRACK: ":large_green_circle: on track",
    Status.AT_RISK: ":large_yellow_circle: at risk",
    Status.OFF_TRACK: ":red_circle: off track",
}
VIEW_BLOCKS = 100


def _n(value: float | None) -> str:
    return "–" if value is None else number(value)


def value_text(kr: KRView) -> str:
    """`6/20 deals`, `4 % (stay below 5 %)`, `done`, `1/3 milestones`."""
    kind = kind_of(kr.kr_type)
    if not kind.milestones:
        return kind.value_text(kr.current, kr.start, kr.target, kr.unit)
    done = sum(1 for _name, flag in kr.milestones if flag)
    ticks = " · ".join(("✓ " if flag else "○ ") + name for name, flag in kr.milestones)
    return f"{done}/{len(kr.milestones)} milestones: {ticks}"


def kr_line(kr: KRView, *, with_needs: bool = True) -> str:
    """One key result: code, title, value, bar, status, confidence and last check-in."""
    status = STATUS_ICON[kr.status] + (" · :hourglass: no check-in for 14 days" if kr.stale else "")
    score = f" · final score {kr.final_score:.2f}" if kr.final_score is not None else ""
    checked = (
        f"Confidence {confidence_trend(kr.confidences)} · last check-in {kr.last_checkin.strftime('%d %b')}"
        if kr.last_checkin
        else "Never checked in"
    )
    lines = [
        f"`{kr.ref}` *{kr.title}* — <@{kr.owner_id}>",
        f"{progress_bar(kr.progress)} · {value_text(kr)} · {status}{score}",
        checked,
    ]
    if kr.awaiting:
        lines.append(f":hourglass_flowing_sand: Not counting yet: {kr.awaiting}")
    if with_needs:
        lines.extend(f":dart: {need}" for need in kr.needs)
    return "\n".join(lines)


def status_because(status: Status, key_results: Iterable[tuple[str, Status]]) -> str:
    """`:red_circle: off track (`K2` is off track)`: a status and the key results behind it."""
    culprits = [f"`{ref}`" for ref, kr_status in key_results if kr_status is status]
    if status is Status.ON_TRACK or not culprits:
        return STATUS_ICON[status]
    verb = "is" if len(culprits) == 1 else "are"
    return f"{STATUS_ICON[status]} ({', '.join(culprits)} {verb} {status.label})"


def objective_status(objective: ObjectiveView) -> str:
    """The objective's status, saying which key results make it so."""
    return status_because(objective.status, [(kr.ref, kr.status) for kr in objective.key_results])


def objective_blocks(objective: ObjectiveView, *, with_needs: bool = True) -> list[Block]:
    """A header line for the objective, then a section per key result."""
    parent = f" · supports {objective.parent_ref}" if objective.parent_ref else ""
    children = (
        f"\nAligned objectives: {progress_bar(objective.children_progress)}"
        if objective.children_progress is not None
        else ""
    )
    head = (
        f"*{objective.ref} · {objective.title}*\n{objective.owner_label} · {objective.kind}{parent} · "
        f"{progress_bar(objective.progress)} · {objective_status(objective)}{children}"
    )
    blocks = [{"type": "divider"}, section(head)]
    blocks.extend(section(kr_line(kr, with_needs=with_needs)) for kr in objective.key_results)
    return blocks


def fit(blocks: list[Block], limit: int, more: str) -> list[Block]:
    """Keep within a block limit, ending with a line that says what was left out."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], context(more)]


def page_message(page: OkrPage) -> dict[str, Any]:
    """`/okr`: objectives with their key results."""
    gone = percent(page.cycle.expected)
    blocks: list[Block] = [
        section(f"*{page.title}* · {page.cycle.name} · {gone} of the cycle gone")
    ]
    if not page.objectives:
        blocks.append(section("No objectives here yet. Create one with `/okr new`."))
    for objective in page.objectives:
        blocks.extend(objective_blocks(objective))
    blocks = fit(
        blocks,
        MESSAGE_BLOCK_LIMIT,
        "…more objectives than fit here: see the App Home tab or `/okr K<n>`.",
    )
    return {"text": f"{page.title} ({page.cycle.name})", "blocks": blocks}


def detail_message(detail: KRDetail) -> dict[str, Any]:
    """`/okr K12`: one key result in detail."""
    kr = detail.view
    expected = percent(detail.cycle.expected)
    blocks = [
        section(f"*{detail.objective_title}*\n" + kr_line(kr, with_needs=False)),
        context(
            f"Pace: {percent(min(kr.progress, 1))} done with {expected} of {detail.cycle.name} gone"
        ),
    ]
    links = []
    if detail.counts:
        links.append(f"counted from logged {', '.join(detail.counts)}")
    if detail.feeds:
        links.append(f"fed by {', '.join(detail.feeds)}")
    if links:
        blocks.append(section("*Linked activities:* " + "; ".join(links)))
    if kr.needs:
        blocks.append(
            section("*What is needed*\n" + "\n".join(f":dart: {need}" for need in kr.needs))
        )
    history = [
        f"{c.at.strftime('%d %b')} · {_n(c.value)} · confidence {c.confidence} · <@{c.user_id}>"
        + (f" — {c.note}" if c.note else "")
        + (f" · :construction: {c.blockers}" if c.blockers else "")
        for c in reversed(detail.history[-15:])
    ]
    blocks.append(
        section(
            "*Check-ins*\n"
            + (
                "\n".join(history)
                if history
                else "None yet: `/checkin " + kr.ref + " <value> <confidence>`"
            )
        )
    )
    return {"text": f"{kr.ref}: {kr.title}", "blocks": blocks}


def checkin_message(results: Sequence[CheckinResult]) -> dict[str, Any]:
    """The answer to a check-in: new values, and any points earned."""
    lines = []
    for result in results:
        kr = result.view
        earned = []
        if result.checkin_points:
            earned.append(f"+{plural(result.checkin_points, 'point')} for checking in")
        if result.achieved_points:
            earned.append(f":tada: *{kr.ref} achieved!* +{plural(result.achieved_points, 'point')}")
        lines.append(
            f":white_check_mark: Checked in on {kr_line(kr)}"
            + ("\n" + " · ".join(earned) if earned else "")
        )
    blocks = [section(line) for line in lines[:MESSAGE_BLOCK_LIMIT]]
    return {"text": f"Checked in on {', '.join(r.view.ref for r in results)}", "blocks": blocks}


OKR_HELP = help_text(commands.OKR)
CHECKIN_HELP = help_text(commands.CHECKIN)


def schedule_blocks(settings: Sequence[tuple[str, str, bool]]) -> list[Block]:
    """For admins: each scheduled job, its time, and a button to switch it."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Scheduled messages"}}
    ]
    for job, describe, enabled in settings:
        label = "Turn off" if enabled else "Turn on"
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{job}* · {describe}"},
                "accessory": {
                    "type": "button",
                    "text": {"type": "plain_text", "text": label},
                    "action_id": ids.ACTION_SWITCH_JOB,
                    "value": f"{job}:{'off' if enabled else 'on'}",
                },
            }
        )
    return blocks


def close_cycle_button(cycle: CycleView) -> Block:
    """For admins: close the cycle, after a confirmation that says how early it is."""
    left = cycle.days_left
    early = f" {plural(left, 'day')} early" if left else ""
    warning = (
        f"*{cycle.name} still has {plural(left, 'day')} to go.* Closing it now ends it early. "
        if left
        else ""
    )
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(f"Close {cycle.name}{early}", 75)},
        "action_id": ids.ACTION_CLOSE_CYCLE,
        "value": f"{cycle.name}|early" if left else cycle.name,
        "style": "danger",
        "confirm": {
            "title": {"type": "plain_text", "text": clip(f"Close {cycle.name}{early}?", 100)},
            "text": {
                "type": "mrkdwn",
                "text": clip(
                    f"{warning}Every key result gets its final score and its values freeze. "
                    "Owners can change a score within 7 days.",
                    300,
                ),
            },
            "confirm": {"type": "plain_text", "text": "Close it early" if left else "Close it"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        },
    }


def home_okr_blocks(home: HomeOkrs) -> list[Block]:
    """OKR part of App Home: mine with what is needed, then each managed team."""
    page = home.mine
    gone = percent(page.cycle.expected)
    title = f"Your OKRs · {page.cycle.name}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        context(f"{gone} of the cycle gone"),
    ]
    if not page.objectives:
        blocks.append(section("No objectives yet: press *New objective* to create one."))
    for objective in page.objectives:
        blocks.extend(objective_blocks(objective))
    if home.admin and not page.cycle.closed:
        blocks.append({"type": "actions", "elements": [close_cycle_button(page.cycle)]})
    if home.approvals:
        blocks.append(
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "Points awaiting your approval"},
            }
        )
        blocks.append(
            context("Personal key results earn their points once a manager or admin approves them.")
        )
        for kr in home.approvals:
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": clip(kr_line(kr, with_needs=False), 3000)},
                    "accessory": {
                        "type": "button",
                        "text": {
                            "type": "plain_text",
                            "text": f"Approve {plural(kr.points, 'pt')}",
                        },
                        "action_id": ids.ACTION_APPROVE_POINTS,
                        "value": kr.ref,
                        "style": "primary",
                    },
                }
            )
    for team in home.teams:
        header = f"Team {team.name}"[:150]
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
        missing = ", ".join(f"<@{user}>" for user in team.not_checked_in)
        done = "Everyone with key results has checked in this week :tada:"
        blocks.append(section(f"Not checked in this week: {missing}" if missing else done))
        for objective in team.objectives:
            blocks.extend(objective_blocks(objective))
    return blocks
