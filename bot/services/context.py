"""What every service needs: units of work, a clock, and a way to learn about new members."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.periods import zone
from bot.domain.playbook import STARTER_CATALOG
from bot.services.ports import UnitOfWorkFactory, WorkspaceRepository
from storage.models import Workspace

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class Profile:
    """What Slack says about a person (from `users.info`)."""

    timezone: str | None = None
    is_admin: bool = False
    name: str | None = None  # display name, else real name


ProfileLookup = Callable[[str, str], Profile]
"""(workspace id, user id) -> Profile. Called once, when a member is first seen."""


EmailLookup = Callable[[str, str], "str | None"]
"""(workspace id, email) -> the Slack user id with that email, or None."""


GroupLookup = Callable[[str, str], "tuple[str, tuple[str, ...]] | None"]
"""(workspace id, user group id or @handle) -> (the group's id, its members' user ids), or
None when Slack has no such group (or cannot be asked)."""


def no_groups(_workspace_id: str, _group: str) -> tuple[str, tuple[str, ...]] | None:
    """A lookup that finds no user group; for the CLI and tests that don't need Slack."""
    return None


def no_emails(_workspace_id: str, _email: str) -> str | None:
    """A lookup that finds no one; for the CLI and tests that don't need Slack."""
    return None


def no_profiles(_workspace_id: str, _user_id: str) -> Profile:
    """A lookup that knows nothing; for the CLI and tests that don't need Slack."""
    return Profile()


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """An active activity type, as users see it and as each process caches it."""

    id: int
    key: str
    name: str
    points: int
    daily_cap: int | None


@dataclass(frozen=True, kw_only=True)
class WorkspaceConfig:
    """What `/log` needs of a workspace's setup, which changes only when a playbook is imported."""

    version: int
    timezone: str
    catalog: tuple[CatalogEntry, ...]
    webhooks: tuple[tuple[int, tuple[str, ...]], ...] = ()  # subscription id, its events
    # Per activity type, the key results counting its units (links change only by import,
    # which renews the version).
    counts: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def activity(self, activity_id: int) -> CatalogEntry | None:
        """The active activity type with this id, if any."""
        return next((a for a in self.catalog if a.id == activity_id), None)

    def counted(self, activity_id: int) -> tuple[int, ...]:
        """The key results that count this activity type's units, in link order."""
        return next((krs for a, krs in self.counts if a == activity_id), ())


@dataclass(frozen=True, kw_only=True)
class ServiceContext:
    """Shared dependencies of the services."""

    uow: UnitOfWorkFactory
    clock: Clock
    profiles: ProfileLookup = no_profiles
    emails: EmailLookup = no_emails
    groups: GroupLookup = no_groups

    known: set[tuple[str, str]] = field(default_factory=set, compare=False)
    configs: dict[str, WorkspaceConfig] = field(default_factory=dict, compare=False)

    def config(self, repo: WorkspaceRepository, version: int | None = None) -> WorkspaceConfig:
        """The workspace's setup, from this process's cache while its version (read from the
        database when not given) is current."""
        cached = self.configs.get(repo.workspace_id)
        if cached is not None and cached.version == version:
            return cached
        workspace = repo.workspace()
        assert workspace is not None
        if cached is not None and cached.version == workspace.config_version:
            return cached
        catalog = tuple(
            CatalogEntry(id=t.id, key=t.key, name=t.name, points=t.points, daily_cap=t.daily_cap)
            for t in repo.activity_types()
        )
        webhooks = tuple((s.id, tuple(s.events)) for s in repo.subscriptions())
        config = WorkspaceConfig(
            version=workspace.config_version,
            timezone=workspace.timezone,
            catalog=catalog,
            webhooks=webhooks,
            counts=tuple(repo.counted_key_results().items()),
        )
        self.configs[repo.workspace_id] = config
        return config

    def warm(self, workspace_id: str, user_id: str, *, stored_is_enough: bool = False) -> None:
        """For a person this process has not seen yet, ask Slack about them now, before any
        transaction: the answer is remembered, so creating their member row, or checking
        their Slack admin flag, inside the transaction needs no network, and a SQLite write
        lock is never held while Slack is asked. People already seen cost nothing here.

        With `stored_is_enough` (for work that needs no admin check, like `/log`), a person
        the database already knows costs one read per process instead, so a restart or a
        new worker process does not ask Slack about every member again."""
        if (workspace_id, user_id) in self.known:
            return
        if stored_is_enough:
            with self.uow() as uow:
                stored = uow.repo(workspace_id).member(user_id) is not None
            if stored:
                self.known.add((workspace_id, user_id))
                return
        self.profiles(workspace_id, user_id)
        self.known.add((workspace_id, user_id))


def ensure_workspace(
    repo: WorkspaceRepository, now: datetime, timezone: str, *, starter_catalog: bool = True
) -> Workspace:
    """The caller's workspace, created (with the starter catalog, by default) on first contact."""
    if repo.create_workspace(timezone, now) and starter_catalog:
        for position, spec in enumerate(STARTER_CATALOG):
            repo.add_activity_type(
                key=spec.key,
                name=spec.name,
                points=spec.points,
                daily_cap=spec.daily_cap,
                position=position,
                active=True,
            )
        repo.flush()
    workspace = repo.workspace()
    assert workspace is not None
    return workspace


def ensure_member(
    ctx: ServiceContext, repo: WorkspaceRepository, user_id: str, *, lock: bool = False
) -> ZoneInfo:
    """Make sure the workspace and member exist; return the workspace timezone.

    The first time a member is seen, Slack is asked for their timezone; a workspace created
    by its first member's request takes that member's timezone until a playbook sets one.
    With `lock`, the member's row stays locked until the transaction ends, so one member's
    writes happen one at a time.
    """
    workspace = repo.workspace()
    if workspace is not None and repo.member(user_id, lock=lock) is not None:
        return zone(workspace.timezone)
    now = ctx.clock.now()
    profile = ctx.profiles(repo.workspace_id, user_id)
    workspace = ensure_workspace(repo, now, profile.timezone or DEFAULT_TIMEZONE)
    repo.add_member(
        user_id, now, profile.timezone, profile.is_admin, profile_checked=True, name=profile.name
    )
    if lock:
        repo.member(user_id, lock=True)
    return zone(workspace.timezone)
