"""Block Kit for OKRs: pages, key-result detail, check-in results and the two forms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain import commands
from bot.domain.commands import help_text
from bot.domain.kr_types import kind_of
from bot.domain.numbers import number, percent
from bot.domain.okrs import Status
from bot.services.okrs.checkins import CheckinResult
from bot.services.okrs.okr_views import KRView, ObjectiveView
from bot.services.okrs.service import KRDetail, OkrPage
from handlers.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    confidence_trend,
    context,
    plural,
    progress_bar,
    section,
)
from handlers.okrs.forecast_text import need_sentence

STATUS_ICON = {
    Status.TOO_EARLY: ":white_circle: no status yet",
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
    stale = kr.stale and kr.last_checkin is not None  # never checked in: said once, below
    status = STATUS_ICON[kr.status] + (" · :hourglass: no check-in for 14 days" if stale else "")
    score = f" · final score {kr.final_score:.2f}" if kr.final_score is not None else ""
    checked = (
        f"Confidence {confidence_trend(kr.confidences)} · last check-in {kr.last_checkin.strftime('%d %b')}"
        if kr.last_checkin
        else (":hourglass: Never checked in" if kr.stale else "Never checked in yet")
    )
    lines = [
        f"`{kr.ref}` *{kr.title}* — <@{kr.owner_id}>",
        f"{progress_bar(kr.progress)} · {value_text(kr)} · {status}{score}",
        checked,
    ]
    if kr.awaiting:
        lines.append(f":hourglass_flowing_sand: Not counting yet: {kr.awaiting}")
    if with_needs:
        lines.extend(f":dart: {need_sentence(need)}" for need in kr.needs)
    return "\n".join(lines)


def status_because(status: Status, key_results: Iterable[tuple[str, Status]]) -> str:
    """`:red_circle: off track (`K2` is off track)`: a status and the key results behind it."""
    culprits = [f"`{ref}`" for ref, kr_status in key_results if kr_status is status]
    if status in (Status.ON_TRACK, Status.TOO_EARLY) or not culprits:
        return STATUS_ICON[status]
    verb = "is" if len(culprits) == 1 else "are"
    return f"{STATUS_ICON[status]} ({', '.join(culprits)} {verb} {status.label})"


def objective_status(objective: ObjectiveView) -> str:
    """The objective's status, saying which key results make it so."""
    return status_because(objective.status, [(kr.ref, kr.status) for kr in objective.key_results])


def objective_blocks(objective: ObjectiveView, *, with_needs: bool = True) -> list[Block]:
    """A header line for the objective, then a section per key result."""
    parent = f" · supports {objective.parent_ref}" if objective.parent_ref else ""
    children = ""
    if objective.aligned:
        refs = ", ".join(f"`{ref}`" for ref in objective.aligned)
        children = (
            f"\nAligned objectives: {refs} (progress is the mean of theirs)"
            if not objective.key_results
            else f"\nAligned objectives: {refs}"
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
            section(
                "*What is needed*\n"
                + "\n".join(f":dart: {need_sentence(need)}" for need in kr.needs)
            )
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
