"""How a CRM's webhook payload maps to an activity: paths into its JSON, declared once per
source in the playbook's `integrations:`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PATH = re.compile(r"^[A-Za-z_$][\w$-]*(\[\d+\])*(\.[A-Za-z_$][\w$-]*(\[\d+\])*)*$")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, kw_only=True)
class Integration:
    """One source's mapping: where the member, quantity, note and external id are."""

    source: str
    activity: str  # the activity key every event of this source logs
    member: str  # a path to the member's email or Slack user id
    member_is: str = "email"  # email | slack_id
    external_id: tuple[str, ...] = ()  # paths joined with ":"; the same id is logged once
    quantity: str | None = None  # a path; 1 when not given
    note: str | None = None  # a path

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "activity": self.activity,
            "member": self.member,
            "member_is": self.member_is,
            "external_id": list(self.external_id),
            "quantity": self.quantity,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Integration:
        return cls(
            source=str(stored["source"]),
            activity=str(stored["activity"]),
            member=str(stored["member"]),
            member_is=str(stored.get("member_is") or "email"),
            external_id=tuple(stored.get("external_id") or ()),
            quantity=stored.get("quantity"),
            note=stored.get("note"),
        )


class Missing(Exception):
    """The payload has nothing at a path."""


def value_at(payload: Any, path: str) -> Any:
    """The value at a dotted path such as `properties.owner_email` or `events[0].id`."""
    found = payload
    for key, index in _PART.findall(path):
        if key and isinstance(found, dict) and key in found:
            found = found[key]
        elif index and isinstance(found, list) and int(index) < len(found):
            found = found[int(index)]
        else:
            raise Missing(path)
    if found is None or isinstance(found, dict | list):
        raise Missing(path)
    return found


def text_at(payload: Any, path: str) -> str:
    """The value at `path` as text (HubSpot sends numbers and dates as text, Salesforce not)."""
    found = value_at(payload, path)
    return str(found).strip() if not isinstance(found, bool) else str(found).lower()
