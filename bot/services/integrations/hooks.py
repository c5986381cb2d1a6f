"""CRM webhooks in: each event of a source's payload, mapped to an activity by the workspace's
integration for that source, and logged with the API's rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.errors import NotFound
from bot.domain.integrations import Integration, Missing, text_at
from bot.domain.parsing import CONTROL_MESSAGE, has_control
from bot.services.context import ServiceContext
from bot.services.integrations.api import ActivityIn, ApiService, BatchProblems, Caller, Logged

MAX_EVENTS = 500


@dataclass(frozen=True, kw_only=True)
class HeldView:
    """A held payload, as `okrbot hooks held` lists it."""

    id: int
    source: str
    problem: str
    received_at: datetime
    retried_at: datetime | None


@dataclass(frozen=True)
class Retried:
    """What a retry of one held payload did: activities logged, or why it is still held."""

    id: int
    logged: int
    problem: str | None


class HookService:
    """`POST /api/v1/hooks/{source}`."""

    def __init__(self, ctx: ServiceContext, api: ApiService) -> None:
        self.ctx, self.api = ctx, api

    def receive(self, caller: Caller, source: str, payload: Any) -> list[Logged]:
        """Log every event of `payload` (one object, or a list of them), all or none. A
        payload that cannot be logged is refused and held, to be logged by `retry` once
        the mapping, the member or the activity is fixed."""
        caller.require("activities:write")
        events = payload if isinstance(payload, list) else [payload]
        if not 0 < len(events) <= MAX_EVENTS:
            raise BatchProblems([("", f"send 1 to {MAX_EVENTS} events, not {len(events)}")])
        try:
            return self._log(caller, source, payload)
        except BatchProblems as refused:
            note = self._hold(caller.workspace, source, payload, refused.problems[0][1])
            raise BatchProblems(refused.problems, note) from refused
        except NotFound as missing:
            note = self._hold(caller.workspace, source, payload, missing.message)
            raise NotFound(missing.message + note) from missing

    def held(self, workspace: str) -> list[HeldView]:
        """Payloads waiting for a retry, oldest first."""
        with self.ctx.uow() as uow:
            return [
                HeldView(
                    id=h.id,
                    source=h.source,
                    problem=h.problem,
                    received_at=h.received_at,
                    retried_at=h.retried_at,
                )
                for h in uow.repo(workspace).held_hooks()
            ]

    def retry(self, workspace: str, ids: Sequence[int] | None = None) -> list[Retried]:
        """Log held payloads again with today's mapping and members; each one logged is no
        longer held, and each still refused keeps its new reason. External ids make a retry
        of something logged meanwhile harmless."""
        caller = Caller(workspace, 0, frozenset({"activities:write"}))
        with self.ctx.uow() as uow:
            waiting = [(h.id, h.source, h.payload) for h in uow.repo(workspace).held_hooks(ids)]
        outcomes = []
        for held_id, source, payload in waiting:
            problem = None
            try:
                logged = len(self._log(caller, source, json.loads(payload)))
            except BatchProblems as refused:
                problem, logged = refused.problems[0][1], 0
            except NotFound as refused:
                problem, logged = refused.message, 0
            with self.ctx.uow() as uow:
                [row] = uow.repo(workspace).held_hooks([held_id])
                now = self.ctx.clock.now()
                row.retried_at, row.problem = now, problem or row.problem
                row.logged_at = None if problem else now
                uow.commit()
            outcomes.append(Retried(held_id, logged, problem))
        return outcomes

    def _log(self, caller: Caller, source: str, payload: Any) -> list[Logged]:
        mapping = self._integration(caller.workspace, source)
        events = payload if isinstance(payload, list) else [payload]
        items: list[ActivityIn] = []
        problems: list[tuple[str, str]] = []
        for index, event in enumerate(events):
            where = f"/{index}" if isinstance(payload, list) else ""
            try:
                items.append(self._activity(caller.workspace, mapping, event))
            except Missing as missing:
                pointer = where + "/" + str(missing.args[0]).replace(".", "/")
                problems.append(
                    (pointer, str(missing.args[1]) if len(missing.args) > 1 else "is missing")
                )
        if problems:
            raise BatchProblems(problems)
        return self.api.log_activities(caller, items)

    def _hold(self, workspace: str, source: str, payload: Any, problem: str) -> str:
        with self.ctx.uow() as uow:
            held = uow.repo(workspace).hold_hook(
                source[:40], json.dumps(payload), problem, self.ctx.clock.now()
            )
            uow.commit()
        if held is None:
            return " Too many refused payloads are held already: this one was not kept."
        return (
            f" It is held as #{held}: once the cause is fixed, `okrbot hooks retry {workspace}`"
            " logs it."
        )

    def _integration(self, workspace: str, source: str) -> Integration:
        with self.ctx.uow() as uow:
            found = uow.repo(workspace).workspace()
            stored = found.integrations if found is not None else []
        for entry in stored:
            if entry.get("source") == source:
                return Integration.from_json(entry)
        raise NotFound(
            f"No integration for `{source}` in this workspace: add it to the playbook's "
            "`integrations:` (see the README's HubSpot and Salesforce recipes)."
        )

    def _activity(self, workspace: str, mapping: Integration, event: Any) -> ActivityIn:
        member = text_at(event, mapping.member)
        if mapping.member_is == "email":
            user = self.ctx.emails(workspace, member)
            if user is None:
                raise Missing(
                    mapping.member, f"no member of this workspace has the email `{member}`"
                )
            member = user
        quantity = 1
        if mapping.quantity is not None:
            raw = text_at(event, mapping.quantity)
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= 1000):
                raise Missing(
                    mapping.quantity, f"must be a whole number from 1 to 1000, got `{raw[:40]}`"
                )
            quantity = int(raw)
        note = text_at(event, mapping.note)[:500] if mapping.note is not None else ""
        if has_control(note) and mapping.note is not None:
            raise Missing(mapping.note, CONTROL_MESSAGE)
        parts = [text_at(event, path) for path in mapping.external_id]
        external = json.dumps(parts) if len(parts) > 1 else "".join(parts)  # no collisions
        if has_control(external):
            raise Missing(mapping.external_id[0], CONTROL_MESSAGE)
        if len(external) > 100:  # keep it within the API's external id, still unique
            external = hashlib.sha256(external.encode()).hexdigest()
        return ActivityIn(
            member=member,
            activity=mapping.activity,
            quantity=quantity,
            note=note,
            external_id=external or None,
            source=mapping.source,
        )
