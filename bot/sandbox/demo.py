"""`okrbot demo`: a realistic workspace for the sandbox: this week so far and the six before."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.playbook import parse_playbook
from bot.services import Services
from bot.services.context import Profile, ServiceContext
from bot.services.okrs.checkins import CheckinRow
from storage.db import unit_of_work_factory

WORKSPACE = "T0SANDBOX"
PEOPLE = {
    "U0ADMIN": "Avery Admin",
    "U0MGREAST": "Maya Chen",
    "U0MGRWEST": "Omar Haddad",
    "U0MGRCS": "Lena Fischer",
    "U0ANN": "Ann Lee",
    "U0BEN": "Ben Ortiz",
    "U0CARA": "Cara Singh",
    "U0DAN": "Dan Moreau",
    "U0EVA": "Eva Novak",
    "U0FINN": "Finn Walsh",
    "U0GIA": "Gia Russo",
    "U0HUGO": "Hugo Blanc",
    "U0IRIS": "Iris Park",
    "U0JON": "Jon Berg",
    "U0KAI": "Kai Tanaka",
}
PLAYBOOK = f"""
workspace: {WORKSPACE}
timezone: America/New_York
admins: [U0ADMIN]
activities:
  - {{key: call, name: Call, points: 1, feeds: [K1]}}
  - {{key: email, name: Email, points: 1}}
  - {{key: meeting, name: Meeting, points: 3, feeds: [K4]}}
  - {{key: demo, name: Demo, points: 5, daily_cap: 10, counts: K2, feeds: [K1]}}
  - {{key: proposal, name: Proposal sent, points: 10, feeds: [K1, K5]}}
teams:
  - {{name: Sales East, channel: C0EAST, managers: [U0MGREAST], members: [U0ANN, U0BEN, U0CARA, U0DAN]}}
  - {{name: Sales West, channel: C0WEST, managers: [U0MGRWEST], members: [U0EVA, U0FINN, U0GIA, U0HUGO]}}
  - {{name: Customer Success, channel: C0SUCCESS, managers: [U0MGRCS], members: [U0IRIS, U0JON, U0KAI]}}
objectives:
  - ref: O1
    title: Grow new business 30% this quarter
    level: company
    key_results:
      - {{ref: K1, title: Close 60 new deals, type: increase_to, start: 0, target: 60, unit: deals, owner: U0ADMIN, points: 200}}
  - ref: O2
    title: Win the East coast
    level: team
    team: Sales East
    parent: O1
    key_results:
      - {{ref: K2, title: Book 250 demos, type: increase_to, start: 0, target: 250, unit: demos, owner: U0ANN, points: 100}}
      - {{ref: K3, title: Launch the partner programme, type: milestones, milestones: [Draft, Pilot, Launch], owner: U0BEN, points: 50}}
  - ref: O3
    title: Keep our customers
    level: team
    team: Customer Success
    key_results:
      - {{ref: K4, title: Churn below 4%, type: stay_below, target: 4, unit: "%", owner: U0IRIS, points: 80}}
      - {{ref: K6, title: Onboarding guide published, type: boolean, owner: U0JON, points: 20}}
      - {{ref: K8, title: Satisfaction above 8.5, type: stay_above, target: 8.5, unit: /10, owner: U0KAI, points: 40}}
  - ref: O4
    title: Build a West coast pipeline
    level: team
    team: Sales West
    parent: O1
    key_results:
      - {{ref: K5, title: Pipeline of $2M, type: increase_to, start: 200000, target: 2000000, unit: USD, owner: U0EVA, points: 120}}
  - ref: O5
    title: Sharpen my discovery calls
    level: personal
    owner: U0CARA
    key_results:
      - {{ref: K7, title: Cut first-call drop-off to 20%, type: decrease_to, start: 45, target: 20, unit: "%", owner: U0CARA, points: 40}}
"""
ZONE = ZoneInfo("America/New_York")
WEEKS_BEFORE = 6  # whole weeks of history before the current one
CHECK_IN = "checkin"
ACTIVITIES = ["call", "call", "call", "email", "email", "meeting", "demo", "proposal"]


class StepClock:
    """A clock the demo moves through its history."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


def names(_workspace: str, user: str) -> Profile:
    """Profiles for the demo's people, as Slack's users.info would give them."""
    return Profile("America/New_York", user == "U0ADMIN", PEOPLE.get(user))


def demos_booked(services: Services) -> str:
    """K2's value as the demos logged so far have moved it (a check-in confirms it)."""
    current = services.okrs.key_result(WORKSPACE, "U0ANN", "K2").view.current
    return f"{current or 0:g}"


def history(now: datetime, rng: random.Random) -> list[tuple[datetime, str, str]]:
    """The demo's events, oldest first: (moment, person, what) where what is `/log` text or
    `checkin`. Working days from the Monday six weeks before this week's, up to `now`, in the
    workspace's own calendar; today's activity happens in the hours before `now`."""
    local_now = now.astimezone(ZONE)
    monday = local_now.date() - timedelta(days=local_now.weekday() + 7 * WEEKS_BEFORE)
    reps = [u for u in PEOPLE if not u.startswith(("U0ADMIN", "U0MGR"))]
    events: list[tuple[datetime, str, str]] = []
    day = monday
    while day <= local_now.date():
        opening = datetime.combine(day, time(9), ZONE)
        if day == local_now.date():  # today: the morning so far, or the last few hours
            opening = max(datetime.combine(day, time(0, 30), ZONE), local_now - timedelta(hours=6))
        closing = min(datetime.combine(day, time(18), ZONE), local_now)
        span = max(0, int((closing - opening).total_seconds() // 60))
        if day.weekday() < 5 and span > 0:
            for rep in reps:
                if rng.random() < 0.2:
                    continue  # a day off
                for _ in range(rng.randint(1, 3)):
                    moment = opening + timedelta(minutes=rng.randint(0, span - 1))
                    activity = f"{rng.choice(ACTIVITIES)} {rng.randint(1, 4)}"
                    events.append((moment, rep, activity))
            friday_check_in = datetime.combine(day, time(17), ZONE)
            if day.weekday() == 4 and friday_check_in <= local_now:
                events.append((friday_check_in, "", CHECK_IN))
        day += timedelta(days=1)
    return sorted(events, key=lambda event: event[0])


def load_demo(engine: Engine, clock: Clock) -> int:
    """Import the demo workspace and its history up to now; return the logs made."""
    now = clock.now()
    rng = random.Random(42)
    events = history(now, rng)
    stepper = StepClock(events[0][0] - timedelta(hours=1) if events else now)
    services = Services.create(
        ServiceContext(uow=unit_of_work_factory(engine), clock=stepper, profiles=names)
    )
    services.setup.import_playbook(parse_playbook(PLAYBOOK))
    with unit_of_work_factory(engine)() as uow:
        repo = uow.repo(WORKSPACE)
        for member in repo.members():
            member.name = PEOPLE.get(member.user_id, member.name)
        uow.commit()
    logs = 0
    week = 0
    for moment, rep, what in events:
        stepper.set(moment.astimezone(UTC))
        if what != CHECK_IN:
            services.activities.log_text(WORKSPACE, rep, what)
            logs += 1
            continue
        week += 1
        rows = {
            "U0ANN": [
                CheckinRow(
                    ref="K2", value=demos_booked(services), confidence=str(rng.randint(6, 9))
                )
            ],
            "U0EVA": [
                CheckinRow(
                    ref="K5", value=str(200_000 + 180_000 * week), confidence=str(rng.randint(5, 8))
                )
            ],
            "U0IRIS": [
                CheckinRow(
                    ref="K4", value=f"{3 + rng.random():.1f}", confidence=str(rng.randint(6, 9))
                )
            ],
            "U0CARA": [CheckinRow(ref="K7", value=str(max(20, 45 - 3 * week)), confidence="6")],
            "U0KAI": [
                CheckinRow(
                    ref="K8",
                    value=f"{8.4 + rng.random() / 2:.1f}",
                    confidence=str(rng.randint(5, 8)),
                )
            ],
        }
        for user, checkins in rows.items():
            services.okrs.check_in(WORKSPACE, user, checkins)
    stepper.set(now)
    return logs
