"""What the services ask of one workspace's objectives, key results and check-ins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.models import (
        ActivityLink,
        CheckIn,
        Contribution,
        Cycle,
        KeyResult,
        Objective,
    )


class OkrRepository(Protocol):
    """One workspace's cycles, objectives, key results, links and check-ins."""

    workspace_id: str

    def add_checkin(self, **values: Any) -> CheckIn: ...

    def add_contribution(
        self, activity_log_id: int, kr_id: int, amount: float, now: datetime
    ) -> None: ...

    def add_cycle(self, name: str, starts_on: date, ends_on: date) -> Cycle: ...

    def add_key_result(self, **values: Any) -> KeyResult: ...

    def add_link(self, activity_type_id: int, kr_id: int, role: str) -> None: ...

    def add_objective(self, **values: Any) -> Objective: ...

    def all_key_results(self) -> list[KeyResult]: ...

    def all_objectives(self) -> list[Objective]: ...

    def checkins(self, kr_ids: Sequence[int]) -> list[CheckIn]: ...

    def contributions_for(self, kr_ids: Sequence[int]) -> list[Contribution]: ...

    def cycle_by_name(self, name: str) -> Cycle | None: ...

    def cycles(self) -> list[Cycle]: ...

    def key_result(self, kr_id: int, *, lock: bool = False) -> KeyResult | None: ...

    def key_result_by_ref(self, ref: str, *, lock: bool = False) -> KeyResult | None: ...

    def key_results(
        self, objective_ids: Sequence[int], *, archived_too: bool = False
    ) -> list[KeyResult]: ...

    def links(
        self, *, activity_type_ids: Sequence[int] | None = None, kr_ids: Sequence[int] | None = None
    ) -> list[ActivityLink]: ...

    def next_ref(self, prefix: str) -> str:
        """The next free `K<n>` or `O<n>` code."""
        ...

    def objective(self, objective_id: int) -> Objective | None: ...

    def objective_by_ref(self, ref: str) -> Objective | None: ...

    def objective_by_external_id(self, external_id: str) -> Objective | None:
        """The objective an import from another OKR tool made from its `external_id`."""
        ...

    def key_result_by_external_id(self, external_id: str) -> KeyResult | None:
        """The key result an import from another OKR tool made from its `external_id`."""
        ...

    def objectives(self, cycle_id: int) -> list[Objective]: ...

    def open_contributions(self, activity_log_id: int) -> list[Contribution]: ...

    def open_cycle_on(self, day: date) -> Cycle | None:
        """The open cycle whose dates contain `day`, else the latest open one."""
        ...

    def remove_link(self, link: ActivityLink) -> None: ...

    def unapproved_key_results(self) -> list[KeyResult]:
        """Live, accepted key results whose points wait for a manager's or admin's approval."""
        ...

    def unaccepted_key_results(self) -> list[KeyResult]:
        """Live key results whose owner has not accepted them yet."""
        ...

    def units_by_member(self, start: datetime, end: datetime) -> dict[tuple[int, str], int]:
        """Units logged (not undone) in [start, end) per (activity type, member)."""
        ...

    def units_logged(
        self, activity_type_id: int, start: datetime, end: datetime, user_ids: Sequence[str] | None
    ) -> int:
        """Units of one activity logged (not undone) in [start, end), by `user_ids` or anyone."""
        ...
