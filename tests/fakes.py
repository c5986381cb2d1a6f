"""An in-memory unit of work, for service tests that need no database.

It keeps what the services under test ask of storage, and no more: a fake that grew to the
whole repository would be a second storage layer to keep in step."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any


@dataclass
class FakeWorkspace:
    id: str
    timezone: str = "UTC"
    schedules: dict[str, Any] | None = None
    app_id: str | None = None


@dataclass
class FakeData:
    workspaces: dict[str, FakeWorkspace] = field(default_factory=dict)
    posts: set[tuple[str, str, str]] = field(default_factory=set)  # workspace, channel, ts
    reactions: set[tuple[str, str, str, str, str]] = field(default_factory=set)


class FakeWorkspaceRepo:
    def __init__(self, data: FakeData, workspace_id: str) -> None:
        self.data, self.workspace_id = data, workspace_id

    def workspace(self) -> FakeWorkspace | None:
        return self.data.workspaces.get(self.workspace_id)


class FakeScheduleRepo:
    def __init__(self, data: FakeData, workspace_id: str) -> None:
        self.data, self.workspace_id = data, workspace_id

    def is_our_post(self, channel: str, ts: str) -> bool:
        return (self.workspace_id, channel, ts) in self.data.posts

    def add_reaction(
        self, channel: str, ts: str, user_id: str, reaction: str, now: datetime
    ) -> bool:
        key = (self.workspace_id, channel, ts, user_id, reaction)
        if key in self.data.reactions:
            return False
        self.data.reactions.add(key)
        return True


class FakeUnitOfWork:
    """Works on a copy of the committed data; `commit()` keeps the copy, leaving drops it."""

    def __init__(self) -> None:
        self.committed = FakeData()
        self.commits = 0
        self.open = False
        self._working: FakeData | None = None

    def __call__(self) -> FakeUnitOfWork:  # the factory the services are given
        return self

    def __enter__(self) -> FakeUnitOfWork:
        assert not self.open, "units of work do not nest"
        self.open = True
        self._working = copy.deepcopy(self.committed)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.open, self._working = False, None

    def commit(self) -> None:
        assert self._working is not None
        self.committed = copy.deepcopy(self._working)
        self.commits += 1

    def repo(self, workspace_id: str, timezone: str | None = None) -> FakeWorkspaceRepo:
        assert self._working is not None
        return FakeWorkspaceRepo(self._working, workspace_id)

    def schedule(self, workspace_id: str) -> FakeScheduleRepo:
        assert self._working is not None
        return FakeScheduleRepo(self._working, workspace_id)
