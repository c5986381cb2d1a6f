"""App Home's OKR part: your key results, your team's, approvals, jobs and the cycle close."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.errors import clip
from bot.domain.numbers import percent
from bot.domain.schedule import JOBS, Job
from bot.services.okrs.okr_views import CycleView
from bot.services.okrs.service import HomeOkrs
from handlers import ids
from handlers.blockkit import (
    Block,
    context,
    plural,
    section,
)
from handlers.okrs.okr_blocks import (
    kr_line,
    objective_blocks,
)


def schedule_blocks(settings: Sequence[tuple[str, str, bool]]) -> list[Block]:
    """For admins: each scheduled job, its time, and a button to switch it."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Scheduled messages"}}
    ]
    for job, describe, enabled in settings:
        label = "Turn off" if enabled else "Turn on"
        title = JOBS[Job(job)].title if job in {j.value for j in Job} else job
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{title}* · {describe}"},
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
    whose = "Your and your teams' OKRs" if home.teams else "Your OKRs"  # a manager sees both
    title = f"{whose} · {page.cycle.name}"
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
    shown = {objective.ref for objective in page.objectives}  # each objective once on the page
    for team in home.teams:
        header = f"Team {team.name}"[:150]
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
        missing = ", ".join(f"<@{user}>" for user in team.not_checked_in)
        done = "Everyone with key results has checked in this week :tada:"
        blocks.append(section(f"Not checked in this week: {missing}" if missing else done))
        above = [o.ref for o in team.objectives if o.ref in shown]
        for objective in team.objectives:
            if objective.ref not in shown:
                blocks.extend(objective_blocks(objective))
        if above:
            refs = ", ".join(f"`{ref}`" for ref in above)
            blocks.append(context(f"{refs} {'is' if len(above) == 1 else 'are'} listed above."))
    return blocks
