"""Objectives and key results from another OKR tool's export (Viva Goals, or a CSV with the
same headers), mapped by header name, owners matched by email or name."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from bot.domain.errors import UserError
from bot.domain.numbers import parse_decimal
from bot.domain.playbook import CycleSpec, KeyResultSpec, ObjectiveSpec, Playbook
from bot.services.context import ServiceContext
from bot.services.install.setup import ImportReport, SetupService
from bot.services.ports import OkrRepository
from storage.models import Cycle, KeyResult, Objective

Row = Mapping[str, str]  # header (lower case) -> cell text
HEADERS = ("id", "title", "object type")  # the columns every row needs
OPTIONAL = (
    "team", "owner", "period", "start date", "end date", "aligned to", "unit", "start",
    "target", "current",
)  # fmt: skip


@dataclass(kw_only=True)
class ImportPlan:
    """What an import would create, and each row it cannot map (by its row number)."""

    workspace: str
    cycles: list[CycleSpec] = field(default_factory=list)  # new ones only
    objectives: list[ObjectiveSpec] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    known: set[str] = field(default_factory=set)  # refs imported before: updated, not added
    kept: list[str] = field(default_factory=list)  # what okrbot keeps as it is, and why
    existing: list[Cycle] = field(default_factory=list)  # the workspace's cycles
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, export id) -> ref
    following: dict[str, int] = field(default_factory=dict)  # the next free number by prefix

    def lines(self) -> list[str]:
        found = [
            f"warning: new cycle {c.name}: {c.start} to {c.end} (no cycle here has these dates)"
            for c in self.cycles
        ]
        for o in self.objectives:
            cycle = f" → cycle {o.cycle}" if o.cycle else " → the current cycle"
            found.append(
                f"objective {o.ref} ({o.level}{', ' + o.team if o.team else ''}): {o.title}"
                + cycle
                + self._status(o.ref)
            )
            found += [
                f"  key result {k.ref}: {k.title} ({k.start} to {k.target} {k.unit})".rstrip()
                + (f", now {k.current}" if k.current is not None else "")
                + self._status(k.ref)
                for k in o.key_results
            ]
        return found + self.kept

    def _status(self, ref: str) -> str:
        return " [update]" if ref in self.known else " [new]"


def ref_of(viva_id: str, kind: str) -> str:
    """The ref imports before okrbot kept export ids (`V…`, `W…`): found again by it."""
    return kind + hashlib.sha1(viva_id.encode()).hexdigest()[:8].upper()


class NotANumber(ValueError):
    """A cell that should hold a number holds text."""


def _number(text: str) -> float | None:
    """The number in a cell (`1,200`, `40%`), None for an empty cell; NotANumber otherwise."""
    cleaned = re.sub(r"[%,\s]", "", text or "")
    if not cleaned:
        return None
    try:
        return parse_decimal(cleaned, "Value")
    except UserError:
        raise NotANumber(text.strip()) from None


def _day(text: str) -> date | None:
    for shape in ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), shape).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    return None


class OkrImport:
    """Plans an import from rows, then applies it as a playbook of objectives and cycles."""

    def __init__(self, ctx: ServiceContext, setup: SetupService) -> None:
        self.ctx, self.setup = ctx, setup

    def plan(self, workspace: str, rows: Sequence[Row]) -> ImportPlan:
        plan = ImportPlan(workspace=workspace)
        if rows and any(h not in rows[0] for h in HEADERS):
            missing = [h for h in HEADERS if h not in rows[0]]
            found = ", ".join(f"`{h}`" for h in rows[0]) or "none"
            raise UserError(
                f"The file has no {', '.join(missing)} column, so it does not look like a Viva "
                f"Goals export. Needed: {', '.join(HEADERS)}; also read: {', '.join(OPTIONAL)}. "
                f"Found: {found}."
            )
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            if repo.workspace() is None:
                raise UserError(
                    f"There is no workspace {workspace} here: install okrbot there first."
                )
            names = {
                name.casefold(): user for user, name in repo.member_names(repo.member_ids()).items()
            }
            teams = {team.name.casefold(): team.name for team in repo.teams()}
            okrs = uow.okrs(workspace)
            plan.existing = okrs.cycles()
            self._give_refs(plan, okrs, rows)
        owners = _Owners(self.ctx, workspace, names)
        objectives: dict[str, ObjectiveSpec] = {}
        for number, row in enumerate(rows, start=2):  # row 1 holds the headers
            if row.get("object type", "").strip().casefold() == "objective":
                spec = self._objective(plan, number, row, teams, owners=owners)
                if spec is not None:
                    objectives[row["id"].strip()] = spec
        for number, row in enumerate(rows, start=2):
            kind = row.get("object type", "").strip().casefold()
            if kind in ("key result", "keyresult", "kr"):
                self._key_result(plan, number, row, objectives, owners=owners)
            elif kind != "objective":
                plan.problems.append(
                    (
                        number,
                        f"Object Type `{row.get('object type', '')}` is not Objective or Key result",
                    )
                )
        plan.objectives = self._merge(plan, list(objectives.values()))
        return plan

    def _give_refs(self, plan: ImportPlan, okrs: OkrRepository, rows: Sequence[Row]) -> None:
        """Each row's ref: the one an earlier import gave its export id, else the next free
        `O<n>` or `K<n>`, as people type them in `/okr` and `/checkin`."""
        following = {prefix: int(okrs.next_ref(prefix)[1:]) for prefix in ("O", "K")}
        for row in rows:
            export_id = row.get("id", "").strip()
            kind = row.get("object type", "").strip().casefold()
            prefix = "O" if kind == "objective" else "K"
            if not export_id or (prefix, export_id) in plan.refs:
                continue
            found: Objective | KeyResult | None
            if prefix == "O":
                found = okrs.objective_by_external_id(export_id) or okrs.objective_by_ref(
                    ref_of(export_id, "V")
                )
            else:
                found = okrs.key_result_by_external_id(export_id) or okrs.key_result_by_ref(
                    ref_of(export_id, "W")
                )
            if found is not None:
                plan.refs[(prefix, export_id)] = found.ref
        plan.following = following
        for row in rows:  # objectives in file order, so that any row can align to any other
            if row.get("object type", "").strip().casefold() == "objective" and row.get("id"):
                self._ref(plan, "O", row["id"].strip())

    @staticmethod
    def _ref(plan: ImportPlan, prefix: str, export_id: str) -> str:
        """The ref of the row with `export_id`, given out when first asked for."""
        if (prefix, export_id) not in plan.refs:
            plan.refs[(prefix, export_id)] = f"{prefix}{plan.following[prefix]}"
            plan.following[prefix] += 1
        return plan.refs[(prefix, export_id)]

    def _merge(self, plan: ImportPlan, specs: list[ObjectiveSpec]) -> list[ObjectiveSpec]:
        """Importing again updates what the export says and keeps what okrbot owns: an
        objective archived here stays archived, and its kind, the key results' points and
        weights stay as they were set here."""
        merged = []
        with self.ctx.uow() as uow:
            okrs = uow.okrs(plan.workspace)
            for spec in specs:
                objective = okrs.objective_by_ref(spec.ref)
                if objective is None:
                    merged.append(spec)
                    continue
                plan.known.add(spec.ref)
                if objective.archived:
                    plan.kept.append(f"objective {spec.ref} is archived in okrbot: left as it is")
                    continue
                results = []
                for kr_spec in spec.key_results:
                    kr = okrs.key_result_by_ref(kr_spec.ref)
                    if kr is not None:
                        plan.known.add(kr_spec.ref)
                        kr_spec = replace(kr_spec, points=kr.points, weight=kr.weight)
                    results.append(kr_spec)
                merged.append(replace(spec, kind=objective.kind, key_results=tuple(results)))
        return merged

    def apply(self, plan: ImportPlan) -> ImportReport:
        """Create or update the planned cycles, objectives and key results."""
        return self.setup.import_playbook(
            Playbook(
                workspace=plan.workspace,
                cycles=tuple(plan.cycles) or None,
                objectives=tuple(plan.objectives),
            )
        )

    def _objective(
        self, plan: ImportPlan, number: int, row: Row, teams: dict[str, str], *, owners: _Owners
    ) -> ObjectiveSpec | None:
        title = row.get("title", "").strip()[:150]
        if not row.get("id", "").strip() or not title:
            plan.problems.append((number, "an objective needs an Id and a Title"))
            return None
        team = None
        if row.get("team", "").strip():
            team = teams.get(row["team"].strip().casefold())
            if team is None:
                plan.problems.append(
                    (
                        number,
                        f"no team named `{row['team'].strip()}` here: imported at company level",
                    )
                )
        cycle = self._cycle(plan, row)
        owner = owners.find(row.get("owner", ""))
        level = "team" if team else "company"
        parent = row.get("aligned to", "").strip()
        return ObjectiveSpec(
            ref=self._ref(plan, "O", row["id"].strip()),
            title=title,
            level=level,
            team=team,
            owner=owner,
            parent=self._ref(plan, "O", parent) if ("O", parent) in plan.refs else None,
            cycle=cycle,
            external_id=row["id"].strip()[:64],
        )

    def _cycle(self, plan: ImportPlan, row: Row) -> str | None:
        """The cycle a row's period lands in: the workspace's cycle with the same dates, else
        the one that contains them, else a new cycle (which a dry run warns about)."""
        name = row.get("period", "").strip()[:40]
        start, end = _day(row.get("start date", "")), _day(row.get("end date", ""))
        if start is None or end is None or end < start:
            return None
        same = [c for c in plan.existing if (c.starts_on, c.ends_on) == (start, end)]
        holding = [c for c in plan.existing if c.starts_on <= start and end <= c.ends_on]
        if same or holding:
            return (same or holding)[0].name
        if not name:
            return None
        if any(c.name == name for c in plan.existing):
            name = f"{name} ({start:%d %b %Y})"[:40]  # a cycle of that name has other dates
        if all(c.name != name for c in plan.cycles):
            plan.cycles.append(CycleSpec(name, start, end))
        return name

    def _key_result(
        self,
        plan: ImportPlan,
        number: int,
        row: Row,
        objectives: dict[str, ObjectiveSpec],
        *,
        owners: _Owners,
    ) -> None:
        parent = objectives.get(row.get("aligned to", "").strip())
        numbers: dict[str, float | None] = {}
        for column in ("target", "start", "current"):
            try:
                numbers[column] = _number(row.get(column, ""))
            except NotANumber as text:
                plan.problems.append(
                    (number, f"{column.title()} `{text}` is not a number (such as 40 or 1,200)")
                )
                return
        target, start, current = numbers["target"], numbers["start"] or 0.0, numbers["current"]
        owner = owners.find(row.get("owner", ""))
        why = None
        if parent is None:
            why = "Aligned To names no objective of this file"
        elif target is None:
            why = "a key result needs a Target (a number)"
        elif target == start:
            why = "a key result needs a Target that differs from its Start"
        elif owner is None:
            why = f"no member matches the owner `{row.get('owner', '').strip()}` (by email or name)"
        if why is not None or parent is None or target is None or owner is None:
            plan.problems.append((number, why or "cannot be mapped"))
            return
        kind = "increase_to" if target > start else "decrease_to"
        spec = KeyResultSpec(
            ref=self._ref(plan, "K", row["id"].strip()),
            title=row.get("title", "").strip()[:150] or "Key result",
            kr_type=kind,
            owner=owner,
            start=start,
            target=target,
            unit=row.get("unit", "").strip()[:30],
            current=current,
            external_id=row["id"].strip()[:64],
        )
        objectives[row["aligned to"].strip()] = ObjectiveSpec(
            **{**parent.__dict__, "key_results": (*parent.key_results, spec)}
        )


class _Owners:
    """Matches an owner cell to a member: by email (asking Slack) or by display name."""

    def __init__(self, ctx: ServiceContext, workspace: str, names: dict[str, str]) -> None:
        self.ctx, self.workspace, self.names = ctx, workspace, names

    def find(self, cell: str) -> str | None:
        cell = cell.strip()
        if not cell:
            return None
        if "@" in cell:
            return self.ctx.emails(self.workspace, cell)
        return self.names.get(cell.casefold())
