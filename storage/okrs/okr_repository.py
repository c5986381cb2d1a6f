"""OKR queries, each scoped to one workspace by construction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    ActivityLink,
    ActivityLog,
    CheckIn,
    Contribution,
    Cycle,
    KeyResult,
    Objective,
)


class OkrRepo:
    """Cycles, objectives, key results, check-ins and activity links of one workspace."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def _add(self, row: Any) -> Any:
        row.workspace_id = self.workspace_id
        self.session.add(row)
        self.session.flush()
        return row

    # -- cycles --------------------------------------------------------------------------
    def cycles(self) -> list[Cycle]:
        query = select(Cycle).where(Cycle.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(Cycle.starts_on)))

    def cycle_by_name(self, name: str) -> Cycle | None:
        query = select(Cycle).where(Cycle.workspace_id == self.workspace_id, Cycle.name == name)
        return self.session.scalars(query).one_or_none()

    def open_cycle_on(self, day: date) -> Cycle | None:
        """The open cycle whose dates contain `day`, else the latest open one."""
        query = select(Cycle).where(
            Cycle.workspace_id == self.workspace_id, Cycle.closed_at.is_(None)
        )
        open_cycles = list(self.session.scalars(query.order_by(Cycle.starts_on)))
        containing = [c for c in open_cycles if c.starts_on <= day <= c.ends_on]
        if containing:
            return containing[-1]
        return open_cycles[-1] if open_cycles else None

    def add_cycle(self, name: str, starts_on: date, ends_on: date) -> Cycle:
        return self._add(Cycle(name=name, starts_on=starts_on, ends_on=ends_on))  # type: ignore[no-any-return]

    # -- objectives and key results ----------------------------------------------------------
    def objectives(self, cycle_id: int) -> list[Objective]:
        query = select(Objective).where(
            Objective.workspace_id == self.workspace_id,
            Objective.cycle_id == cycle_id,
            Objective.archived.is_(False),
        )
        return list(self.session.scalars(query.order_by(Objective.id)))

    def objective(self, objective_id: int) -> Objective | None:
        row = self.session.get(Objective, objective_id)
        return row if row is not None and row.workspace_id == self.workspace_id else None

    def objective_by_ref(self, ref: str) -> Objective | None:
        query = select(Objective).where(
            Objective.workspace_id == self.workspace_id, Objective.ref == ref.upper()
        )
        return self.session.scalars(query).one_or_none()

    def objective_by_external_id(self, external_id: str) -> Objective | None:
        query = select(Objective).where(
            Objective.workspace_id == self.workspace_id, Objective.external_id == external_id
        )
        return self.session.scalars(query.limit(1)).first()

    def key_result_by_external_id(self, external_id: str) -> KeyResult | None:
        query = select(KeyResult).where(
            KeyResult.workspace_id == self.workspace_id, KeyResult.external_id == external_id
        )
        return self.session.scalars(query.limit(1)).first()

    def all_objectives(self) -> list[Objective]:
        query = select(Objective).where(Objective.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(Objective.id)))

    def add_objective(self, **values: Any) -> Objective:
        return self._add(Objective(**values))  # type: ignore[no-any-return]

    def key_results(
        self, objective_ids: Sequence[int], *, archived_too: bool = False
    ) -> list[KeyResult]:
        if not objective_ids:
            return []
        query = select(KeyResult).where(
            KeyResult.workspace_id == self.workspace_id,
            KeyResult.objective_id.in_(list(objective_ids)),
        )
        if not archived_too:
            query = query.where(KeyResult.archived.is_(False))
        return list(
            self.session.scalars(
                query.order_by(KeyResult.objective_id, KeyResult.position, KeyResult.id)
            )
        )

    def key_result_by_ref(self, ref: str, *, lock: bool = False) -> KeyResult | None:
        query = select(KeyResult).where(
            KeyResult.workspace_id == self.workspace_id, KeyResult.ref == ref.upper()
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).one_or_none()

    def key_result(self, kr_id: int, *, lock: bool = False) -> KeyResult | None:
        query = select(KeyResult).where(
            KeyResult.workspace_id == self.workspace_id, KeyResult.id == kr_id
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).one_or_none()

    def unapproved_key_results(self) -> list[KeyResult]:
        """Live, accepted key results whose points wait for a manager's or admin's approval."""
        query = select(KeyResult).where(
            KeyResult.workspace_id == self.workspace_id,
            KeyResult.owner_accepted.is_(True),
            KeyResult.points_approved.is_(False),
            KeyResult.archived.is_(False),
        )
        return list(self.session.scalars(query.order_by(KeyResult.id)))

    def unaccepted_key_results(self) -> list[KeyResult]:
        """Live key results whose owner has not accepted them yet."""
        query = select(KeyResult).where(
            KeyResult.workspace_id == self.workspace_id,
            KeyResult.owner_accepted.is_(False),
            KeyResult.archived.is_(False),
        )
        return list(self.session.scalars(query.order_by(KeyResult.id)))

    def all_key_results(self) -> list[KeyResult]:
        query = select(KeyResult).where(KeyResult.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(KeyResult.id)))

    def add_key_result(self, **values: Any) -> KeyResult:
        return self._add(KeyResult(**values))  # type: ignore[no-any-return]

    def next_ref(self, prefix: str) -> str:
        """The next free `K<n>` or `O<n>` code."""
        model: Any = KeyResult if prefix == "K" else Objective
        refs = self.session.scalars(
            select(model.ref).where(model.workspace_id == self.workspace_id)
        )
        numbers = [int(m.group(1)) for ref in refs if (m := re.fullmatch(rf"{prefix}(\d+)", ref))]
        return f"{prefix}{max(numbers, default=0) + 1}"

    # -- check-ins -----------------------------------------------------------------------
    def add_checkin(self, **values: Any) -> CheckIn:
        return self._add(CheckIn(**values))  # type: ignore[no-any-return]

    def checkins(self, kr_ids: Sequence[int]) -> list[CheckIn]:
        if not kr_ids:
            return []
        query = select(CheckIn).where(
            CheckIn.workspace_id == self.workspace_id, CheckIn.key_result_id.in_(list(kr_ids))
        )
        return list(self.session.scalars(query.order_by(CheckIn.created_at, CheckIn.id)))

    # -- links between activities and key results ---------------------------------------------
    def links(
        self, *, activity_type_ids: Sequence[int] | None = None, kr_ids: Sequence[int] | None = None
    ) -> list[ActivityLink]:
        query = select(ActivityLink).where(ActivityLink.workspace_id == self.workspace_id)
        if activity_type_ids is not None:
            query = query.where(ActivityLink.activity_type_id.in_(list(activity_type_ids)))
        if kr_ids is not None:
            query = query.where(ActivityLink.key_result_id.in_(list(kr_ids)))
        return list(self.session.scalars(query.order_by(ActivityLink.id)))

    def add_link(self, activity_type_id: int, kr_id: int, role: str) -> None:
        self._add(ActivityLink(activity_type_id=activity_type_id, key_result_id=kr_id, role=role))

    def remove_link(self, link: ActivityLink) -> None:
        self.session.delete(link)

    def add_contribution(
        self, activity_log_id: int, kr_id: int, amount: float, now: datetime
    ) -> None:
        row = Contribution(
            activity_log_id=activity_log_id, key_result_id=kr_id, amount=amount, created_at=now
        )
        self._add(row)

    def open_contributions(self, activity_log_id: int) -> list[Contribution]:
        query = select(Contribution).where(
            Contribution.workspace_id == self.workspace_id,
            Contribution.activity_log_id == activity_log_id,
            Contribution.reversed_at.is_(None),
        )
        return list(self.session.scalars(query))

    def contributions_for(self, kr_ids: Sequence[int]) -> list[Contribution]:
        if not kr_ids:
            return []
        query = select(Contribution).where(
            Contribution.workspace_id == self.workspace_id,
            Contribution.key_result_id.in_(list(kr_ids)),
        )
        return list(self.session.scalars(query))

    def units_by_member(self, start: datetime, end: datetime) -> dict[tuple[int, str], int]:
        """Units logged (not undone) in [start, end) per (activity type, member)."""
        query = (
            select(
                ActivityLog.activity_type_id, ActivityLog.user_id, func.sum(ActivityLog.quantity)
            )
            .where(ActivityLog.workspace_id == self.workspace_id, ActivityLog.undone_at.is_(None))
            .where(ActivityLog.logged_at >= start, ActivityLog.logged_at < end)
            .group_by(ActivityLog.activity_type_id, ActivityLog.user_id)
        )
        return {
            (type_id, user): int(units or 0) for type_id, user, units in self.session.execute(query)
        }

    def units_logged(
        self, activity_type_id: int, start: datetime, end: datetime, user_ids: Sequence[str] | None
    ) -> int:
        """Units of one activity logged (not undone) in [start, end), by `user_ids` or anyone."""
        query = select(func.coalesce(func.sum(ActivityLog.quantity), 0)).where(
            ActivityLog.workspace_id == self.workspace_id,
            ActivityLog.activity_type_id == activity_type_id,
            ActivityLog.undone_at.is_(None),
            ActivityLog.logged_at >= start,
            ActivityLog.logged_at < end,
        )
        if user_ids is not None:
            query = query.where(ActivityLog.user_id.in_(list(user_ids)))
        return int(self.session.scalar(query) or 0)
