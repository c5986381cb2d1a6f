"""Logging activities, undoing them, and the catalog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.errors import Duplicate, NotAllowed, NotFound
from bot.domain.okrs import raw_progress
from bot.domain.parsing import (
    CatalogItem,
    LogRequest,
    parse_log,
    parse_log_fields,
)
from bot.services.activities.activity_store import (
    BatchItem,
    Stored,
    store_batch,
    store_with_cached_setup,
    store_with_current_setup,
)
from bot.services.activities.log_at_once import store_at_once
from bot.services.activities.log_reading import today_and_week
from bot.services.activities.log_results import LogResult as LogResult
from bot.services.activities.log_results import MovedKR as MovedKR
from bot.services.activities.log_results import TeamRank as TeamRank
from bot.services.activities.log_results import UndoResult as UndoResult
from bot.services.context import CatalogEntry, ServiceContext, WorkspaceConfig, ensure_member
from bot.services.okrs.results import measure_of, reverse_counts
from bot.services.ports import WorkspaceRepository
from storage.models import ACTIVITY, ActivityLog, ActivityType, KeyResult

if TYPE_CHECKING:
    from storage.activities.standings_query import Standing

UNDO_WINDOW = timedelta(hours=24)


class ActivityService:
    """`/log`, the log modal and Undo."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def catalog(self, workspace_id: str, user_id: str) -> list[CatalogEntry]:
        """The workspace's active activity types, in catalog order."""
        self.ctx.warm(workspace_id, user_id, stored_is_enough=True)
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            ensure_member(self.ctx, repo, user_id)
            catalog = list(self.ctx.config(repo).catalog)
            uow.commit()
            return catalog

    def log_text(
        self, workspace_id: str, user_id: str, text: str, request_key: str | None = None
    ) -> LogResult:
        """Log what `/log <text>` describes; UserError (nothing stored) when the text is wrong."""
        return self._log(
            workspace_id, user_id, lambda catalog: parse_log(text, catalog), request_key
        )

    def log_fields(
        self,
        workspace_id: str,
        user_id: str,
        activity_key: str,
        quantity: str,
        *,
        note: str,
        request_key: str | None = None,
    ) -> LogResult:
        """Log from the modal's fields; UserError names the field that is wrong."""
        request = parse_log_fields(activity_key, quantity, note)
        return self._log(workspace_id, user_id, lambda _catalog: request, request_key)

    def log_request(
        self, workspace_id: str, user_id: str, request: LogRequest, request_key: str | None
    ) -> LogResult:
        """Log an activity already read (by the API); a repeated `request_key` returns the
        first result."""
        return self._log(workspace_id, user_id, lambda _catalog: request, request_key)

    def log_batch(self, workspace_id: str, items: Sequence[BatchItem]) -> list[ActivityLog]:
        """Log many activities of known members in one transaction, all or none (the API's
        batches); a request key stored before returns its first entry."""
        return store_batch(self.ctx, workspace_id, items)

    def _log(
        self,
        workspace_id: str,
        user_id: str,
        read_request: Callable[[list[CatalogItem]], LogRequest],
        request_key: str | None,
    ) -> LogResult:
        """Record an activity and its points; a repeated `request_key` returns the first result.

        The usual /log is one statement where the database can (log_at_once); the others
        take a transaction. A member this process has not seen yet is looked for in the
        database by the /log's own first statement, not by a read of their own: only when
        they are not there is Slack asked about them, outside any transaction, and the /log
        stored the usual way."""
        try:
            stored, tried = store_at_once(
                self.ctx, workspace_id, user_id, read_request, request_key=request_key
            )
            if stored is not None:
                return self._result(None, stored)
            result = self._record(
                workspace_id, user_id, read_request, request_key, cached=not tried
            )
            if result is None:
                self.ctx.warm(workspace_id, user_id, stored_is_enough=True)
                result = self._record(
                    workspace_id, user_id, read_request, request_key, cached=False
                )
            assert result is not None
            return result
        except Duplicate:
            if request_key is None:
                raise
            with self.ctx.uow() as uow:  # the same request raced us and won: report its entry
                repo = uow.repo(workspace_id)
                existing = repo.log_by_request_key(request_key)
                if existing is None:
                    raise
                return self._describe(repo, existing)

    def _record(
        self,
        workspace_id: str,
        user_id: str,
        read_request: Callable[[list[CatalogItem]], LogRequest],
        request_key: str | None,
        *,
        cached: bool,
    ) -> LogResult | None:
        """Store the /log in one transaction (`cached`: first trying store_with_cached_setup);
        None, having stored nothing, for a member this process has not seen when the quick
        ways could not store it (ServiceContext.warm)."""
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            stored = None
            if cached:
                stored = store_with_cached_setup(
                    self.ctx, uow, repo, user_id, read_request=read_request, request_key=request_key
                )
            if stored is None:
                if (workspace_id, user_id) not in self.ctx.known:
                    return None
                stored = store_with_current_setup(
                    self.ctx, uow, repo, user_id, read_request=read_request, request_key=request_key
                )
            result = self._result(uow.repo(workspace_id, stored[0].timezone), stored)
            uow.commit()
            return result

    def _result(self, repo: WorkspaceRepository | None, stored: Stored) -> LogResult:
        """The reply to a /log just stored (`repo`: its transaction's, if still open)."""
        config, request, (entry, moved, figures) = stored
        return replace(
            self._describe(repo, entry, config, figures),
            moved=tuple(_moved(kr) for kr in moved),
            understood=request.understood,
        )

    def undo(self, workspace_id: str, user_id: str, log_id: int) -> UndoResult:
        """Reverse a log entry once. Only its author may, within 24 hours of logging it."""
        self.ctx.warm(workspace_id, user_id, stored_is_enough=True)
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace_id)
            entry = repo.log(log_id)
            if entry is None:
                raise NotFound("I can't find that entry any more.")
            if entry.user_id != user_id:
                raise NotAllowed(f"Only <@{entry.user_id}>, who logged it, can undo this entry.")
            now = self.ctx.clock.now()
            if entry.undone_at is None and now - entry.logged_at > UNDO_WINDOW:
                raise NotAllowed(
                    "Entries can be undone for 24 hours after logging; this one is older."
                )
            reversed_now = repo.mark_undone(entry.id, now)
            taken: list[tuple[str, int]] = []
            if reversed_now:
                taken = reverse_counts(repo, uow.okrs(workspace_id), entry, now)
                repo.add_ledger_entry(
                    user_id=entry.user_id,
                    points=-entry.points,
                    category=ACTIVITY,
                    reason="activity_undo",
                    reference=str(entry.id),
                    occurred_at=entry.logged_at,
                    recorded_at=now,
                    logs=-1,
                )
            repo.reload(entry)
            result = UndoResult(self._describe(repo, entry), entry.points, not reversed_now, taken)
            uow.commit()
            return result

    def _describe(
        self,
        repo: WorkspaceRepository | None,
        entry: ActivityLog,
        config: WorkspaceConfig | None = None,
        figures: Standing | None = None,
    ) -> LogResult:
        """The reply to a log entry: with `figures`, the member's standing read already. With
        no `repo`, only from `config` and `figures`."""
        if repo is None:
            assert config is not None
            assert figures is not None
        else:
            config = config or self.ctx.config(repo)
            if figures is None:
                now = self.ctx.clock.now()
                figures = repo.standing(entry.user_id, *today_and_week(now, config.timezone))
        rank = TeamRank(figures.team, figures.above + 1, figures.size) if figures.in_scope else None
        activity: CatalogEntry | ActivityType | None = config.activity(entry.activity_type_id)
        if activity is None and repo is not None:
            activity = repo.activity_type(entry.activity_type_id)
        return LogResult(
            log_id=entry.id,
            user_id=entry.user_id,
            activity=activity.name if activity else "activity",
            quantity=entry.quantity,
            points=entry.points,
            units_over_cap=entry.units_over_cap,
            daily_cap=activity.daily_cap if activity else None,
            note=entry.note,
            today_points=figures.today,
            week_points=figures.week,
            rank=rank,
            undone=entry.undone_at is not None,
        )


def _moved(kr: KeyResult) -> MovedKR:
    """A key result a log moved, as the reply shows it."""
    progress = raw_progress(measure_of(kr))
    return MovedKR(
        ref=kr.ref,
        title=kr.title,
        current=kr.current_value or 0.0,
        target=kr.target_value,
        unit=kr.unit,
        progress=progress,
    )
