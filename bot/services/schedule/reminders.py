"""The personal scheduled messages: the activity nudge and the check-in reminder."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.periods import PeriodKind, local_date, local_midnight, period_containing, zone
from bot.domain.streaks import working_day_streak
from bot.services.okrs.results import current_cycle
from bot.services.ports import UnitOfWork
from bot.services.schedule.messages import CheckinReminder, Nudge

FAVOURITES_SINCE = timedelta(days=30)


def build_nudge(uow: UnitOfWork, workspace: str, user: str, now: datetime) -> Nudge | None:
    repo = uow.repo(workspace)
    member = repo.member(user)
    ws = repo.workspace()
    assert ws is not None
    tz = zone(member.timezone) if member is not None and member.timezone else zone(ws.timezone)
    today = local_date(now, tz)
    times = repo.active_log_times(user, local_midnight(today, tz) - timedelta(days=60))
    days = {local_date(t, tz) for t in times}
    if today in days:
        return None
    types = {t.id: t for t in repo.activity_types()}
    favourites = [
        t
        for t in repo.favourite_activities(now - FAVOURITES_SINCE, user).get(user, [])
        if t in types
    ]
    chosen = (favourites + [t for t in types if t not in favourites])[:3]
    return Nudge(
        user,
        working_day_streak(days, today),
        [(types[t].key, types[t].name, types[t].points) for t in chosen],
        today,
    )


def build_reminder(
    uow: UnitOfWork, workspace: str, user: str, now: datetime
) -> CheckinReminder | None:
    repo, okrs = uow.repo(workspace), uow.okrs(workspace)
    ws = repo.workspace()
    assert ws is not None
    tz = zone(ws.timezone)
    week = period_containing(PeriodKind.WEEK, now, tz)
    cycle = current_cycle(okrs, tz, now)
    krs = okrs.key_results([o.id for o in okrs.objectives(cycle.id)])
    due = [
        (kr.ref, kr.title)
        for kr in krs
        if kr.owner_id == user
        and kr.final_score is None
        and (kr.last_checkin_at is None or kr.last_checkin_at < week.start)
    ]
    return CheckinReminder(user, due) if due else None


# -- timezones ---------------------------------------------------------------------------------
