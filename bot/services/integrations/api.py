"""The REST API's use cases: tokens, idempotent POSTs, and activities in and out."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.errors import Duplicate, NotAllowed, NotFound, UserError
from bot.domain.objective_drafts import KRDraft, ObjectiveDraft
from bot.domain.parsing import LogRequest
from bot.domain.periods import PeriodKind, period_containing
from bot.services.activities.activity_store import BatchItem
from bot.services.activities.service import ActivityService
from bot.services.activities.standings import Board, PointsSummary, StandingsService, streak, totals
from bot.services.context import ServiceContext
from bot.services.events import claim_request
from bot.services.integrations.api_types import ActivityIn as ActivityIn
from bot.services.integrations.api_types import ActivityOut as ActivityOut
from bot.services.integrations.api_types import BatchProblems as BatchProblems
from bot.services.integrations.api_types import Caller as Caller
from bot.services.integrations.api_types import InProgress as InProgress
from bot.services.integrations.api_types import Logged as Logged
from bot.services.integrations.api_types import Throttled as Throttled
from bot.services.integrations.api_types import TokenInfo as TokenInfo
from bot.services.okrs.checkins import CheckinResult, CheckinRow
from bot.services.okrs.okr_types import KeyResultChange, ObjectiveChange, Scope
from bot.services.okrs.okr_view_models import CycleView, KRView, ObjectiveView
from bot.services.okrs.okr_views import cycle_view
from bot.services.okrs.results import current_cycle
from bot.services.okrs.service import OkrService

RATE, BURST = 20.0, 100.0  # requests a second per token, and the burst allowed
SCOPES = {  # what each scope lets a token do, as the token form and the CLI describe it
    "activities:write": "Log activities for people, as /log does",
    "checkins:write": "Check in on key results for their owners",
    "okrs:read": "Read objectives, key results, progress and check-ins",
    "points:read": "Read points, leaderboards and CSV exports",
    "okrs:write": "Create and change objectives and key results",
}
TOKEN_PREFIX = "okr_"
NO_TOKEN = "The API token is missing, unknown or revoked: send `Authorization: Bearer okr_…`."


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Idempotency-Key: the first answer to a POST is kept 24 hours; a repeat while it is still
# in progress is told to wait, unless it has been so for this long (its request died).
KEEP_KEYS = timedelta(hours=24)
STALE = timedelta(minutes=5)


class ApiService:
    """Tokens and the API's reads and writes, each inside the token's workspace."""

    def __init__(
        self,
        ctx: ServiceContext,
        activities: ActivityService,
        okrs: OkrService,
        standings: StandingsService,
    ) -> None:
        self.ctx, self.activities, self.okrs, self.standings = ctx, activities, okrs, standings

    # -- tokens ---------------------------------------------------------------------------
    def create_token(
        self,
        workspace: str,
        name: str,
        scopes: Sequence[str],
        *,
        request_key: str | None = None,
    ) -> tuple[int, str]:
        """A new token's id and secret; the secret is shown this once and never stored. A
        `request_key` seen before raises Repeated and creates no second token."""
        name = name.strip()
        if not 0 < len(name) <= 80:
            raise UserError("Give the token a name of 1 to 80 characters, e.g. hubspot.")
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise UserError(
                f"Scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}."
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.ctx.uow() as uow:
            repo = uow.repo(workspace)
            if repo.workspace() is None:
                raise NotFound(f"There is no workspace {workspace} here.")
            claim_request(repo, request_key, self.ctx.clock.now())
            token = repo.add_api_token(
                name, digest(secret), secret[:10], sorted(set(scopes)), now=self.ctx.clock.now()
            )
            uow.commit()
            return token.id, secret

    def create_token_as(
        self,
        workspace: str,
        name: str,
        scopes: Sequence[str],
        is_admin: Callable[[], bool],
        *,
        request_key: str | None = None,
    ) -> tuple[int, str]:
        """A token created by a member from App Home: admins only (asked before any
        transaction)."""
        if not is_admin():
            raise NotAllowed("Only workspace admins can create API tokens.")
        return self.create_token(workspace, name, scopes, request_key=request_key)

    def revoke_token_as(self, workspace: str, token_id: int, is_admin: Callable[[], bool]) -> None:
        """Revoke from App Home: admins only."""
        if not is_admin():
            raise NotAllowed("Only workspace admins can revoke API tokens.")
        self.revoke_token(workspace, token_id)

    def tokens(self, workspace: str) -> list[TokenInfo]:
        with self.ctx.uow() as uow:
            return [
                TokenInfo(
                    id=t.id,
                    name=t.name,
                    hint=t.hint,
                    scopes=tuple(t.scopes),
                    created_at=t.created_at,
                    revoked_at=t.revoked_at,
                )
                for t in uow.repo(workspace).api_tokens()
            ]

    def revoke_token(self, workspace: str, token_id: int) -> None:
        with self.ctx.uow() as uow:
            if not uow.repo(workspace).revoke_api_token(token_id, self.ctx.clock.now()):
                raise NotFound(f"{workspace} has no live API token {token_id}.")
            uow.commit()

    def authenticate(self, secret: str, *, limited: bool = True) -> Caller:
        """The caller a bearer token stands for; NotAllowed when it is unknown or revoked,
        Throttled when it has spent its requests (RATE a second, BURST at once), counted
        across every server process. Unlimited callers (CRM hooks) spend nothing."""
        if not secret.startswith(TOKEN_PREFIX):
            raise NotAllowed(NO_TOKEN)
        with self.ctx.uow() as uow:
            token = uow.find_api_token(digest(secret))
            if token is None or token.revoked_at is not None:
                raise NotAllowed(NO_TOKEN)
            workspace = uow.repo(token.workspace_id).workspace()
            if workspace is None or not workspace.active:
                raise NotAllowed("okrbot was uninstalled from this token's workspace.")
            caller = Caller(token.workspace_id, token.id, frozenset(token.scopes))
            if limited:
                now = self.ctx.clock.now().timestamp()
                wait = uow.take_api_request(token.id, now, RATE, BURST)
                uow.commit()
                if wait:
                    raise Throttled(wait)
            return caller

    # -- activities ---------------------------------------------------------------------------
    def log_activities(self, caller: Caller, items: Sequence[ActivityIn]) -> list[Logged]:
        """Log a batch with /log's rules and caps, all or nothing: an unknown member or
        activity anywhere stores none of them."""
        caller.require("activities:write")
        emails = {i.member for i in items if "@" in i.member}
        found = {email: self.ctx.emails(caller.workspace, email) for email in emails}  # Slack first
        items = [replace(i, member=found.get(i.member) or i.member) for i in items]
        with self.ctx.uow() as uow:
            repo = uow.repo(caller.workspace)
            known = set(repo.member_ids())
            keys = {a.key for a in self.ctx.config(repo).catalog}
        problems = []
        for index, item in enumerate(items):
            if item.member not in known:
                problems.append(
                    (
                        f"/activities/{index}/member",
                        f"`{item.member}` is not a member of this workspace",
                    )
                )
            if item.activity not in keys:
                problems.append(
                    (
                        f"/activities/{index}/activity",
                        f"`{item.activity}` is not an activity here (use one of {', '.join(sorted(keys))})",
                    )
                )
        if problems:
            raise BatchProblems(problems)
        batch = [
            BatchItem(i.member, LogRequest(i.activity, i.quantity, i.note), i.request_key())
            for i in items
        ]
        stored = self.activities.log_batch(caller.workspace, batch)
        return [
            Logged(
                id=entry.id,
                member=entry.user_id,
                activity=item.activity,
                quantity=entry.quantity,
                points=entry.points,
            )
            for item, entry in zip(items, stored, strict=True)
        ]

    def activities_page(
        self,
        caller: Caller,
        members: Sequence[str] | None,
        since: datetime,
        until: datetime,
        *,
        after: int,
        size: int,
    ) -> list[ActivityOut]:
        """A page of the workspace's activities, oldest first, after the one with id `after`."""
        caller.require("points:read")
        with self.ctx.uow() as uow:
            rows = uow.repo(caller.workspace).activity_page(members, since, until, after, size=size)
            return [
                ActivityOut(
                    id=log.id,
                    member=log.user_id,
                    activity=key,
                    quantity=log.quantity,
                    points=log.points,
                    note=log.note,
                    logged_at=log.logged_at,
                )
                for log, key in rows
            ]

    def points(self, caller: Caller, member: str) -> PointsSummary:
        """A member's points this week and this quarter, and their streak, as `/points`."""
        caller.require("points:read")
        with self.ctx.uow() as uow:
            repo = uow.repo(caller.workspace)
            if repo.member(member) is None:
                raise NotFound(f"`{member}` is not a member of this workspace.")
            tz, now = repo.timezone(), self.ctx.clock.now()
            return PointsSummary(
                member,
                totals(repo, member, period_containing(PeriodKind.WEEK, now, tz)),
                totals(repo, member, period_containing(PeriodKind.QUARTER, now, tz)),
                streak(repo, member, now, tz),
            )

    def check_in(self, caller: Caller, ref: str, member: str, row: CheckinRow) -> CheckinResult:
        """A check-in made on behalf of `member`, with their rights (the owner, or their
        manager), as `/checkin` would."""
        caller.require("checkins:write")
        with self.ctx.uow() as uow:
            if uow.repo(caller.workspace).member(member) is None:
                raise NotFound(f"`{member}` is not a member of this workspace.")
        [result] = self.okrs.check_in(caller.workspace, member, [replace(row, ref=ref.upper())])
        return result

    def objectives(self, caller: Caller) -> tuple[CycleView, list[ObjectiveView]]:
        """Every objective of the current cycle with its key results: progress, pace,
        confidence and what is needed."""
        caller.require("okrs:read")
        with self.ctx.uow() as uow:
            repo, okrs = uow.repo(caller.workspace), uow.okrs(caller.workspace)
            tz, now = repo.timezone(), self.ctx.clock.now()
            scope = Scope(repo=repo, okrs=okrs, tz=tz, now=now, cycle=current_cycle(okrs, tz, now))
            chosen = scope.okrs.objectives(scope.cycle.id)
            return cycle_view(scope.cycle, tz, now), scope.views().objectives(chosen)

    def leaderboard(self, caller: Caller, period: str, team: str | None) -> Board:
        """The board for a period (today, week, month, quarter, season) and a team, or the
        whole workspace."""
        caller.require("points:read")
        return self.standings.board(caller.workspace, f"{period} {team or 'all'}")

    # -- idempotency ------------------------------------------------------------------------
    def begin(self, caller: Caller, key: str, body: bytes) -> tuple[int, dict[str, object]] | None:
        """Reserve an Idempotency-Key for this request, or the answer an earlier request
        with it got. UserError when that request had another body; InProgress while it is
        still being answered (one abandoned for 5 minutes is taken over)."""
        body_hash = hashlib.sha256(body).hexdigest()
        for _attempt in range(3):
            now = self.ctx.clock.now()
            with self.ctx.uow() as uow:
                repo = uow.repo(caller.workspace)
                repo.forget_api_requests(now - KEEP_KEYS)
                seen = repo.api_request(caller.token_id, key)
                if seen is None:
                    try:
                        repo.add_api_request(
                            caller.token_id, key, body_hash, status=0, answer={}, now=now
                        )
                    except Duplicate:
                        continue  # reserved a moment ago by a concurrent request: read it
                    uow.commit()
                    return None
                if seen.body_hash != body_hash:
                    raise UserError(
                        "This Idempotency-Key was used with another body: use a new key for a new request.",
                        field="Idempotency-Key",
                    )
                if seen.status:
                    return seen.status, dict(seen.answer)
                if seen.created_at > now - STALE:
                    raise InProgress(
                        "A request with this Idempotency-Key is still being answered; retry in a moment."
                    )
                repo.drop_api_request(caller.token_id, key)  # its request died: take over
                uow.commit()
        raise InProgress(
            "A request with this Idempotency-Key is still being answered; retry in a moment."
        )

    def finish(self, caller: Caller, key: str, status: int, answer: dict[str, object]) -> None:
        """Keep the answer under its key for 24 hours."""
        with self.ctx.uow() as uow:
            uow.repo(caller.workspace).complete_api_request(
                caller.token_id, key, status, dict(answer)
            )
            uow.commit()

    def abandon(self, caller: Caller, key: str) -> None:
        """The request failed: its key may be used again."""
        with self.ctx.uow() as uow:
            uow.repo(caller.workspace).drop_api_request(caller.token_id, key)
            uow.commit()

    ctx: ServiceContext

    okrs: OkrService

    def create_objective(self, caller: Caller, member: str, draft: ObjectiveDraft) -> ObjectiveView:
        """An objective created for `member`, with their rights, as `/okr new` would."""
        self._acting_for(caller, member)
        return self.okrs.create_objective(caller.workspace, member, draft)

    def change_objective(
        self, caller: Caller, member: str, ref: str, change: ObjectiveChange
    ) -> ObjectiveView:
        """An objective changed by `member`, who must be allowed to change it in Slack."""
        self._acting_for(caller, member)
        return self.okrs.change_objective(caller.workspace, member, ref, change)

    def add_key_result(
        self, caller: Caller, member: str, objective_ref: str, draft: KRDraft
    ) -> KRView:
        """A key result added to an objective by `member`, with their rights."""
        self._acting_for(caller, member)
        return self.okrs.add_key_result(caller.workspace, member, objective_ref, draft)

    def change_key_result(
        self, caller: Caller, member: str, ref: str, change: KeyResultChange
    ) -> KRView:
        """A key result changed by `member`, with their rights."""
        self._acting_for(caller, member)
        return self.okrs.change_key_result(caller.workspace, member, ref, change)

    def _acting_for(self, caller: Caller, member: str) -> None:
        caller.require("okrs:write")
        with self.ctx.uow() as uow:
            if uow.repo(caller.workspace).member(member) is None:
                raise NotFound(f"`{member}` is not a member of this workspace.", field="member")
