"""Small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.app import build_services
from bot.clock import Clock
from bot.playbook_file import parse_playbook
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


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each table holds."""
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
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
