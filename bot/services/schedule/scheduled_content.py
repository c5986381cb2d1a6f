"""What each scheduled job sends: nudges, reminders, digests and leaderboard posts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import assert_never

from bot.domain.periods import zone
from bot.domain.schedule import Job
from bot.services.ports import UnitOfWork
from bot.services.schedule.digests import build_digest, build_leaderboard_post
from bot.services.schedule.messages import Scheduled
from bot.services.schedule.reminders import build_nudge, build_reminder
from bot.services.schedule.workspace_data import WorkspaceData


def build_message(
    uow: UnitOfWork,
    workspace: str,
    job: Job,
    recipient: str,
    *,
    team_id: int | None,
    period: str,
    now: datetime,
    cache: dict[str, WorkspaceData],
) -> Scheduled | None:
    """The message `job` sends `recipient` now, or None when there is nothing to send."""
    match job:
        case Job.ACTIVITY_NUDGE:
            return build_nudge(uow, workspace, recipient, now)
        case Job.CHECKIN_REMINDER:
            return build_reminder(uow, workspace, recipient, now)
        case Job.MANAGER_DIGEST if team_id is not None:
            # last week as the manager lives it: from their own Monday
            data = _digest_data(uow, workspace, now, cache, manager=recipient)
            return build_digest(data, team_id, manager=recipient, channel=None)
        case Job.TEAM_DIGEST if team_id is not None:
            data = _digest_data(uow, workspace, now, cache, manager=None)
            return build_digest(data, team_id, manager=None, channel=recipient)
        case Job.LEADERBOARD_POST if team_id is not None:
            data = _board_data(uow, workspace, now, cache)
            return build_leaderboard_post(data, uow.schedule(workspace), team_id, period)
        case Job.MANAGER_DIGEST | Job.TEAM_DIGEST | Job.LEADERBOARD_POST:
            return None  # a team's message without its team
        case _:
            assert_never(job)


def _digest_data(
    uow: UnitOfWork,
    workspace: str,
    now: datetime,
    cache: dict[str, WorkspaceData],
    *,
    manager: str | None,
) -> WorkspaceData:
    """The data behind digests of the week just ended: in the manager's own calendar, or the
    workspace's for a team digest; loaded once per calendar and run."""
    calendar = None
    if manager is not None:
        member = uow.repo(workspace).member(manager)
        calendar = zone(member.timezone) if member and member.timezone else None
    key = f"digest:{calendar}"
    if key not in cache:
        cache[key] = WorkspaceData(
            uow.repo(workspace),
            uow.okrs(workspace),
            now,
            week_of=now - timedelta(days=1),
            calendar=calendar,
        )
    return cache[key]


def _board_data(
    uow: UnitOfWork, workspace: str, now: datetime, cache: dict[str, WorkspaceData]
) -> WorkspaceData:
    """The data behind this week's leaderboard posts, with streaks; loaded once per run."""
    if "board" not in cache:
        cache["board"] = WorkspaceData(
            uow.repo(workspace), uow.okrs(workspace), now, week_of=now, streaks=True, okrs_too=False
        )
    return cache["board"]
