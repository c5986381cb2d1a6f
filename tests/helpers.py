"""Small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.clock import Clock
from bot.playbook import parse_playbook
from storage.models import Base

PLAYBOOK = """
workspace: T0001
timezone: America/New_York
activities:
  - {key: call, name: Call, points: 1}
  - {key: demo, name: Demo, points: 5, daily_cap: 10}
  - {key: proposal, name: Proposal sent, points: 10}
teams:
  - name: Sales East
    channel: C0SALESEAST
    managers: [U0MANAGER]
    members: [U0REP1, U0REP2, U0REP3]
"""


def import_playbook(engine: Engine, clock: Clock, text: str = PLAYBOOK) -> None:
    build_services(engine, clock).setup.import_playbook(parse_playbook(text))


BOOKKEEPING = {"processed_events"}  # every delivery is remembered, accepted or not


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each table of the workspace's data holds."""
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


def texts(message: dict[str, Any]) -> str:
    """All text in a message or view: its fallback text and every block's text."""
    parts = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)


OKR_PLAYBOOK = """
workspace: T0001
timezone: America/New_York
admins: [U0ADMIN]
cycles:
  - {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
activities:
  - {key: demo, name: Demo, points: 5, counts: K2, feeds: [K1]}
  - {key: call, name: Call, points: 1, feeds: [K1]}
  - {key: proposal, name: Proposal sent, points: 10}
teams:
  - name: Sales East
    channel: C0SALESEAST
    managers: [U0MANAGER]
    members: [U0REP1, U0REP2, U0REP3]
objectives:
  - ref: O1
    title: Win the East coast
    level: team
    team: Sales East
    kind: committed
    key_results:
      - {ref: K1, title: Close 20 deals, type: increase_to, start: 0, target: 20, unit: deals, owner: U0REP1, points: 100}
      - {ref: K2, title: Book 40 demos, type: increase_to, start: 0, target: 40, unit: demos, owner: U0REP2, points: 50}
  - ref: O2
    title: Keep my accounts healthy
    level: personal
    owner: U0REP1
    parent: O1
    key_results:
      - {ref: K3, title: Churn below 5%, type: stay_below, target: 5, unit: "%", owner: U0REP1, points: 20}
      - {ref: K4, title: Referral program, type: milestones, milestones: [Draft, Pilot, Launch], owner: U0REP1, points: 30}
"""


NEIGHBOUR = "T0NEXT"


def seed_neighbour(engine: Engine, clock: Clock) -> None:
    """Another workspace with the same people, channels and objectives, busy with points of
    its own: 90 each, and one key result checked in."""
    services = build_services(engine, clock)
    text = OKR_PLAYBOOK.replace("workspace: T0001", f"workspace: {NEIGHBOUR}")
    services.setup.import_playbook(parse_playbook(text))
    for user in ("U0REP1", "U0REP2", "U0REP3", "U0MANAGER"):
        services.activities.log_text(NEIGHBOUR, user, "proposal 9")


def rows_of(engine: Engine, workspace: str) -> dict[str, int]:
    """How many rows each table holds for `workspace`."""
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.scalar(
                    select(func.count()).select_from(table).where(table.c.workspace_id == workspace)
                )
                or 0
            )
            for table in Base.metadata.sorted_tables
            if "workspace_id" in table.c
        }
