"""A workspace's API tokens, the answers kept for idempotent POSTs, and pages of its log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain.errors import Duplicate
from storage.models import ActivityLog, ActivityType, ApiRequest, ApiToken
from storage.repo_base import RepoBase, table_of


class ApiQueries(RepoBase):
    """What the REST API reads and writes, inside one workspace."""

    def add_api_token(
        self, name: str, token_hash: str, hint: str, scopes: Sequence[str], *, now: datetime
    ) -> ApiToken:
        token = ApiToken(
            workspace_id=self.workspace_id,
            name=name,
            token_hash=token_hash,
            hint=hint,
            scopes=list(scopes),
            created_at=now,
        )
        self.session.add(token)
        self.session.flush()
        return token

    def api_tokens(self) -> list[ApiToken]:
        query = select(ApiToken).where(ApiToken.workspace_id == self.workspace_id)
        return list(self.session.scalars(query.order_by(ApiToken.id)))

    def revoke_api_token(self, token_id: int, now: datetime) -> bool:
        """Revoke a live token of this workspace; False when there is none with that id."""
        statement = (
            update(table_of(ApiToken))
            .where(ApiToken.workspace_id == self.workspace_id, ApiToken.id == token_id)
            .where(ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiToken.id)
        )
        return self.session.connection().execute(statement).first() is not None

    def api_request(self, token_id: int, key: str) -> ApiRequest | None:
        query = select(ApiRequest).where(
            ApiRequest.workspace_id == self.workspace_id,
            ApiRequest.token_id == token_id,
            ApiRequest.key == key,
        )
        return self.session.scalars(query).one_or_none()

    def add_api_request(self, token_id: int, key: str, body_hash: str, **answer: Any) -> None:
        """Keep a POST's answer under its Idempotency-Key; Duplicate when another request
        with the same key got there first (the transaction is then spent)."""
        self.session.add(
            ApiRequest(
                workspace_id=self.workspace_id,
                token_id=token_id,
                key=key,
                body_hash=body_hash,
                status=answer["status"],
                answer=answer["answer"],
                created_at=answer["now"],
            )
        )
        try:
            self.session.flush()
        except IntegrityError as error:
            raise Duplicate(f"Idempotency-Key {key} is in use") from error

    def complete_api_request(
        self, token_id: int, key: str, status: int, answer: dict[str, Any]
    ) -> None:
        statement = (
            update(table_of(ApiRequest))
            .where(
                ApiRequest.workspace_id == self.workspace_id,
                ApiRequest.token_id == token_id,
                ApiRequest.key == key,
            )
            .values(status=status, answer=answer)
        )
        self.session.execute(statement)

    def drop_api_request(self, token_id: int, key: str) -> None:
        statement = delete(ApiRequest).where(
            ApiRequest.workspace_id == self.workspace_id,
            ApiRequest.token_id == token_id,
            ApiRequest.key == key,
        )
        self.session.execute(statement)

    def forget_api_requests(self, before: datetime) -> int:
        statement = delete(ApiRequest).where(
            ApiRequest.workspace_id == self.workspace_id, ApiRequest.created_at < before
        )
        return int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def activity_page(
        self,
        users: Sequence[str] | None,
        since: datetime,
        until: datetime,
        after: int,
        *,
        size: int,
    ) -> list[tuple[ActivityLog, str]]:
        """Logs not undone in [since, until), oldest first, after the log with id `after`;
        each with its activity's key."""
        query = (
            select(ActivityLog, ActivityType.key)
            .join(ActivityType, ActivityType.id == ActivityLog.activity_type_id)
            .where(
                ActivityLog.workspace_id == self.workspace_id,
                ActivityLog.undone_at.is_(None),
                ActivityLog.logged_at >= since,
                ActivityLog.logged_at < until,
                ActivityLog.id > after,
            )
        )
        if users is not None:
            query = query.where(ActivityLog.user_id.in_(list(users)))
        rows = self.session.execute(query.order_by(ActivityLog.id).limit(size))
        return [(log, key) for log, key in rows]
