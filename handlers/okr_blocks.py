"""Block Kit for OKRs: pages, key-result detail, check-in results and the two forms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.domain.okrs import MAX_KEY_RESULTS, KRType, Status, progress_bar
from bot.services.checkins import CheckinResult
from bot.services.okr_views import KRView, ObjectiveView
from bot.services.okrs import HomeOkrs, KRDetail, OkrPage
from handlers import ids
from handlers.blocks import Block, context, plural, section

STATUS_ICON = {
    Status.ON_TRACK: ":large_green_circle: on track",
    Status.AT_RISK: ":large_yellow_circle: at risk",
    Status.OFF_TRACK: ":red_circle: off track",
}
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
CHECKIN_FORM_LIMIT = 19  # 5 blocks each, within a view's 100
TYPE_LABELS = {
    KRType.INCREASE_TO: "Increase to a target",
    KRType.DECREASE_TO: "Decrease to a target",
    KRType.STAY_ABOVE: "Stay above a threshold",
    KRType.STAY_BELOW: "Stay below a threshold",
    KRType.BOOLEAN: "Done / not done",
    KRType.MILESTONES: "Milestones checklist",
}


def _n(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def value_text(kr: KRView) -> str:
    """`6/20 deals`, `4 % (stay below 5 %)`, `done`, `1/3 milestones`."""
    unit = f" {kr.unit}" if kr.unit else ""
    if kr.kr_type.numeric:
        return f"{_n(kr.current if kr.current is not None else kr.start)}/{_n(kr.target)}{unit}"
    if kr.kr_type is KRType.STAY_ABOVE:
        return f"{_n(kr.current)}{unit} (stay above {_n(kr.target)}{unit})"
    if kr.kr_type is KRType.STAY_BELOW:
        return f"{_n(kr.current)}{unit} (stay below {_n(kr.target)}{unit})"
    if kr.kr_type is KRType.BOOLEAN:
        return "done" if kr.current and kr.current >= 1 else "not done"
    done = sum(1 for _name, flag in kr.milestones if flag)
    ticks = " · ".join(("✓ " if flag else "○ ") + name for name, flag in kr.milestones)
    return f"{done}/{len(kr.milestones)} milestones: {ticks}"


def kr_line(kr: KRView, *, with_needs: bool = True) -> str:
    """One key result: code, title, value, bar, status, confidence and last check-in."""
    status = STATUS_ICON[kr.status] + (" · :hourglass: no check-in for 14 days" if kr.stale else "")
    checked = kr.last_checkin.strftime("%d %b") if kr.last_checkin else "never"
    score = f" · final score {kr.final_score:.2f}" if kr.final_score is not None else ""
    lines = [
        f"`{kr.ref}` *{kr.title}* — <@{kr.owner_id}>",
        f"{progress_bar(kr.progress)} · {value_text(kr)} · {status}{score}",
        f"Confidence {kr.confidence} · last check-in {checked}",
    ]
    if with_needs:
        lines.extend(f":dart: {need}" for need in kr.needs)
    return "\n".join(lines)


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
        f"{progress_bar(objective.progress)} · {STATUS_ICON[objective.status]}{children}"
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
    gone = round(page.cycle.expected * 100)
    blocks: list[Block] = [
        section(f"*{page.title}* · {page.cycle.name} · {gone}% of the cycle gone")
    ]
    if not page.objectives:
        blocks.append(section("No objectives here yet. Create one with `/okr new`."))
    for objective in page.objectives:
        blocks.extend(objective_blocks(objective))
    blocks = fit(
        blocks,
        MESSAGE_BLOCKS,
        "…more objectives than fit here: see the App Home tab or `/okr K<n>`.",
    )
    return {"text": f"{page.title} ({page.cycle.name})", "blocks": blocks}


def detail_message(detail: KRDetail) -> dict[str, Any]:
    """`/okr K12`: one key result in detail."""
    kr = detail.view
    expected = round(detail.cycle.expected * 100)
    blocks = [
        section(f"*{detail.objective_title}*\n" + kr_line(kr, with_needs=False)),
        context(
            f"Pace: {round(min(kr.progress, 1) * 100)}% done with {expected}% of {detail.cycle.name} gone"
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
    blocks = [section(line) for line in lines[:MESSAGE_BLOCKS]]
    return {"text": f"Checked in on {', '.join(r.view.ref for r in results)}", "blocks": blocks}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = True, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _text(
    action_id: str, placeholder: str = "", *, multiline: bool = False, max_length: int = 0
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
    }
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    if max_length:
        element["max_length"] = max_length
    return element


def _ticks(kr: KRView) -> dict[str, Any]:
    options = [_option(name, str(index)) for index, (name, _done) in enumerate(kr.milestones)]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": options}
    ticked = [options[index] for index, (_name, done) in enumerate(kr.milestones) if done]
    if ticked:
        element["initial_options"] = ticked
    return element


CONFIDENCE = [_option(str(n), str(n)) for n in range(11)]


def checkin_modal(krs: Sequence[KRView]) -> dict[str, Any]:
    """One row per open key result: its value now, the new value, confidence and a note."""
    blocks: list[Block] = []
    shown = list(krs)[:CHECKIN_FORM_LIMIT]
    for kr in shown:
        hint = {
            KRType.BOOLEAN: "done or no",
            KRType.MILESTONES: f"how many of the {len(kr.milestones)} milestones are done",
        }.get(kr.kr_type, "a number")
        blocks.append(
            section(f"`{kr.ref}` *{kr.title}*\nNow: {value_text(kr)} · {progress_bar(kr.progress)}")
        )
        if kr.kr_type is KRType.MILESTONES and kr.milestones:
            label = "Milestones done (pick a confidence to record)"
            blocks.append(_input(f"value:{kr.ref}", label, _ticks(kr)))
        else:
            blocks.append(_input(f"value:{kr.ref}", "New value", _text("value", hint)))
        blocks.append(
            _input(
                f"confidence:{kr.ref}",
                "Confidence (0–10)",
                {"type": "static_select", "action_id": "confidence", "options": CONFIDENCE},
            )
        )
        note = _text("note", "what moved", max_length=500)
        blockers = _text("blockers", "what is in the way", max_length=500)
        blocks.append(_input(f"note:{kr.ref}", "Note", note))
        blocks.append(_input(f"blockers:{kr.ref}", "Blockers", blockers))
    if not shown:
        blocks.append(
            section(
                "You own no key results in this cycle yet. Create an objective with `/okr new`."
            )
        )
    elif len(krs) > len(shown):
        blocks.append(
            context(
                f"{len(krs) - len(shown)} more key results: check in on them with `/checkin K<n> <value> <confidence>`."
            )
        )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.VIEW_CHECKIN,
        "private_metadata": json.dumps([kr.ref for kr in shown]),
        "title": {"type": "plain_text", "text": "Check in"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:VIEW_BLOCKS],
    }
    if shown:
        view["submit"] = {"type": "plain_text", "text": "Check in"}
    return view


def new_objective_modal(teams: Sequence[str]) -> dict[str, Any]:
    """The form for a new objective with up to five key results."""
    levels = [
        _option("Personal", "personal"),
        _option("Team", "team"),
        _option("Company", "company"),
    ]
    kinds = [
        _option("Committed (expect 1.0)", "committed"),
        _option("Aspirational (expect ~0.7)", "aspirational"),
    ]
    blocks: list[Block] = [
        _input(
            "title",
            "Objective",
            _text("title", "e.g. Win the East coast", max_length=150),
            optional=False,
        ),
        _input(
            "level",
            "Level",
            {
                "type": "static_select",
                "action_id": "level",
                "options": levels,
                "initial_option": levels[0],
            },
            optional=False,
        ),
        _input(
            "kind",
            "Kind",
            {
                "type": "static_select",
                "action_id": "kind",
                "options": kinds,
                "initial_option": kinds[0],
            },
            optional=False,
        ),
    ]
    if teams:
        team_options = [_option(name, name) for name in teams[:100]]
        blocks.append(
            _input(
                "team",
                "Team (for team objectives)",
                {"type": "static_select", "action_id": "team", "options": team_options},
            )
        )
    blocks.append(_input("parent", "Supports objective (optional)", _text("parent", "e.g. O1")))
    types = [_option(label, kr_type.value) for kr_type, label in TYPE_LABELS.items()]
    for number in range(1, MAX_KEY_RESULTS + 1):
        prefix = f"kr{number}"
        blocks.append(
            {"type": "header", "text": {"type": "plain_text", "text": f"Key result {number}"}}
        )
        blocks.append(
            _input(
                f"{prefix}_title",
                "Title",
                _text("title", "e.g. Close 20 deals", max_length=150),
                optional=number > 1,
            )
        )
        blocks.append(
            _input(
                f"{prefix}_type",
                "Measured as",
                {
                    "type": "static_select",
                    "action_id": "type",
                    "options": types,
                    "initial_option": types[0],
                },
            )
        )
        blocks.append(
            _input(f"{prefix}_start", "Start", _text("start", "0"), hint="for increase / decrease")
        )
        blocks.append(_input(f"{prefix}_target", "Target or threshold", _text("target", "20")))
        blocks.append(_input(f"{prefix}_unit", "Unit", _text("unit", "deals")))
        blocks.append(_input(f"{prefix}_points", "Points when achieved", _text("points", "50")))
        blocks.append(
            _input(
                f"{prefix}_owner",
                "Owner (default: you)",
                {"type": "users_select", "action_id": "owner"},
            )
        )
        blocks.append(
            _input(
                f"{prefix}_milestones",
                "Milestones (comma separated)",
                _text("milestones", "Draft, Pilot, Launch"),
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.VIEW_NEW_OBJECTIVE,
        "title": {"type": "plain_text", "text": "New objective"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:VIEW_BLOCKS],
    }


def created_view(objective: ObjectiveView) -> dict[str, Any]:
    """What the form turns into once the objective exists."""
    blocks = fit(objective_blocks(objective)[1:], VIEW_BLOCKS - 1, "…")
    blocks.append(
        context(
            "Check in with `/checkin` · see it with `/okr "
            + (objective.key_results[0].ref if objective.key_results else "")
            + "`"
        )
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Objective created"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": blocks,
    }


def checked_in_view(results: Sequence[CheckinResult]) -> dict[str, Any]:
    """What the check-in form turns into once recorded."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Checked in"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": checkin_message(results)["blocks"][:VIEW_BLOCKS],
    }


OKR_HELP = "\n".join(
    [
        "*OKRs in okrbot*",
        "• `/okr` — your objectives and key results · `/okr @member` · `/okr team Sales East` · `/okr company`",
        "• `/okr K12` — one key result: history, pace, linked activities and what is needed",
        "• `/okr new` — create an objective with up to 5 key results",
        "• `/checkin` — check in on all your key results · `/checkin K12 45 7 pipeline looks good`",
        "• `/okr archive O3` — archive an objective (its history and points stay)",
        "• `/okr away until 2026-12-02` · `/okr back` — pause and resume nudges and reminders",
        "• `/okr score K12 0.8 reason` — change a final score within 7 days of the cycle closing",
        "• `/leaderboard season` — the board for the whole OKR cycle",
    ]
)


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


def home_okr_blocks(home: HomeOkrs) -> list[Block]:
    """OKR part of App Home: mine with what is needed, then each managed team."""
    page = home.mine
    gone = round(page.cycle.expected * 100)
    title = f"Your OKRs · {page.cycle.name}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        context(f"{gone}% of the cycle gone"),
    ]
    if not page.objectives:
        blocks.append(section("No objectives yet: press *New objective* to create one."))
    for objective in page.objectives:
        blocks.extend(objective_blocks(objective))
    if home.admin and not page.cycle.closed:
        close = {
            "type": "button",
            "text": {"type": "plain_text", "text": f"Close {page.cycle.name}"},
            "action_id": ids.ACTION_CLOSE_CYCLE,
            "value": page.cycle.name,
            "style": "danger",
            "confirm": {
                "title": {"type": "plain_text", "text": f"Close {page.cycle.name}?"},
                "text": {
                    "type": "mrkdwn",
                    "text": "Every key result gets its final score and its values freeze. "
                    "Owners can change a score within 7 days.",
                },
                "confirm": {"type": "plain_text", "text": "Close the cycle"},
                "deny": {"type": "plain_text", "text": "Cancel"},
            },
        }
        blocks.append({"type": "actions", "elements": [close]})
    for team in home.teams:
        header = f"Team {team.name}"[:150]
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
        missing = ", ".join(f"<@{user}>" for user in team.not_checked_in)
        done = "Everyone with key results has checked in this week :tada:"
        blocks.append(section(f"Not checked in this week: {missing}" if missing else done))
        for objective in team.objectives:
            blocks.extend(objective_blocks(objective))
    return blocks
