"""A workspace's data as CSV tables, with the API's column names, for BI tools and backups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from bot.domain.errors import NotFound
from bot.domain.periods import PeriodKind, period_containing
from bot.services.activities.standings import streak, totals
from bot.services.context import ServiceContext

PAGE = 1000
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
Row = list[object]
COLUMNS = {
    "activities": [
        "id", "member", "member_name", "activity", "quantity", "points", "note", "logged_at",
    ],
    "points": [
        "member",
        "member_name",
        "week_label",
        "week_activity",
        "week_result",
        "week_total",
        "quarter_label",
        "quarter_activity",
        "quarter_result",
        "quarter_total",
        "streak",
    ],
    "objectives": [
        "ref", "title", "level", "kind", "cycle", "team", "owner", "owner_name", "parent",
        "archived",
    ],
    "key_results": [
        "ref",
        "objective",
        "title",
        "type",
        "owner",
        "owner_name",
        "start",
        "target",
        "current",
        "unit",
        "points",
        "weight",
        "final_score",
        "archived",
    ],
    "checkins": [
        "key_result", "member", "member_name", "value", "confidence", "note", "blockers",
        "created_at",
    ],
}  # fmt: skip


class CsvExport:
    """Each table's rows, read a page or a query at a time."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def tables(self, workspace: str) -> dict[str, Iterator[Row]]:
        """Every table, by file name; NotFound for an unknown workspace."""
        with self.ctx.uow() as uow:
            if uow.repo(workspace).workspace() is None:
                raise NotFound(f"There is no workspace {workspace} here.")
        return {
            "activities": self._activities(workspace),
            "points": self._points(workspace),
            "objectives": self._objectives(workspace),
            "key_results": self._key_results(workspace),
            "checkins": self._checkins(workspace),
        }

    def _names(self, workspace: str) -> dict[str, str]:
        """Members' Slack names, for the name columns beside their ids."""
        with self.ctx.uow() as uow:
            return uow.repo(workspace).member_names(None)

    def _activities(self, workspace: str) -> Iterator[Row]:
        names = self._names(workspace)
        after = 0
        while True:
            with self.ctx.uow() as uow:
                page = uow.repo(workspace).activity_page(None, *EVER, after, size=PAGE)
            for log, key in page:
                yield [
                    log.id,
                    log.user_id,
                    names.get(log.user_id, ""),
                    key,
                    log.quantity,
                    log.points,
                    log.note,
                    log.logged_at.isoformat(),
                ]
            if len(page) < PAGE:
                return
            after = page[-1][0].id

    def _points(self, workspace: str) -> Iterator[Row]:
        rows: list[Row] = []
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            tz, now = repo.timezone(), self.ctx.clock.now()
            week = period_containing(PeriodKind.WEEK, now, tz)
            quarter = period_containing(PeriodKind.QUARTER, now, tz)
            names = repo.member_names(None)
            for member in repo.member_ids():
                w, q = totals(repo, member, week), totals(repo, member, quarter)
                rows.append(
                    [
                        member,
                        names.get(member, ""),
                        week.label,
                        w.activity,
                        w.result,
                        w.total,
                        quarter.label,
                        q.activity,
                        q.result,
                        q.total,
                        streak(repo, member, now, tz),
                    ]
                )
        yield from rows  # read in one transaction, closed before the rows go out

    def _objectives(self, workspace: str) -> Iterator[Row]:
        rows: list[Row] = []
        with self.ctx.uow() as uow:
            okrs, repo = uow.okrs(workspace), uow.repo(workspace)
            cycles = {cycle.id: cycle.name for cycle in okrs.cycles()}
            teams = {team.id: team.name for team in repo.teams(include_archived=True)}
            objectives = okrs.all_objectives()
            refs = {objective.id: objective.ref for objective in objectives}
            names = repo.member_names(None)
            for o in objectives:
                rows.append(
                    [
                        o.ref,
                        o.title,
                        o.level,
                        o.kind,
                        cycles.get(o.cycle_id, ""),
                        teams.get(o.team_id, "") if o.team_id else "",
                        o.owner_id or "",
                        names.get(o.owner_id or "", ""),
                        refs.get(o.parent_id, "") if o.parent_id else "",
                        o.archived,
                    ]
                )
        yield from rows  # read in one transaction, closed before the rows go out

    def _key_results(self, workspace: str) -> Iterator[Row]:
        rows: list[Row] = []
        with self.ctx.uow() as uow:
            okrs = uow.okrs(workspace)
            refs = {objective.id: objective.ref for objective in okrs.all_objectives()}
            names = uow.repo(workspace).member_names(None)
            for kr in okrs.all_key_results():
                rows.append(
                    [
                        kr.ref,
                        refs.get(kr.objective_id, ""),
                        kr.title,
                        kr.kr_type,
                        kr.owner_id,
                        names.get(kr.owner_id, ""),
                        kr.start_value,
                        kr.target_value,
                        kr.current_value,
                        kr.unit,
                        kr.points,
                        kr.weight,
                        kr.final_score,
                        kr.archived,
                    ]
                )
        yield from rows  # read in one transaction, closed before the rows go out

    def _checkins(self, workspace: str) -> Iterator[Row]:
        rows: list[Row] = []
        with self.ctx.uow() as uow:
            okrs = uow.okrs(workspace)
            krs = {kr.id: kr.ref for kr in okrs.all_key_results()}
            names = uow.repo(workspace).member_names(None)
            for c in okrs.checkins(list(krs)):
                rows.append(
                    [
                        krs[c.key_result_id],
                        c.user_id,
                        names.get(c.user_id, ""),
                        c.value,
                        c.confidence,
                        c.note,
                        c.blockers,
                        c.created_at.isoformat(),
                    ]
                )
        yield from rows  # read in one transaction, closed before the rows go out


def spreadsheet_safe(row: Row) -> Row:
    """Cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) get a leading
    apostrophe, so an export opened in Excel shows text, not a calculation."""
    return [
        f"'{cell}"
        if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r")
        else cell
        for cell in row
    ]
