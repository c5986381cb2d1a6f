"""What every `okrbot` command shares: the error it prints, and its context (settings, clock,
database, services)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, SystemClock
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.services import Services
    from bot.slack_edge import SlackEdge

log = logging.getLogger("okrbot")


class CommandError(Exception):
    """A problem the person running the command can fix; printed as one line, exit status 2."""


TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")


class Cli:
    """What a command works with: its settings, its clock (the system's, or a test's), and
    the database, opened and migrated once, with the services on it."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        """The database, migrated to the newest schema."""
        if self._engine is None:
            from storage.migrate import upgrade

            engine = self.unmigrated_engine()
            upgrade(engine)
            self._engine = engine
        return self._engine

    def unmigrated_engine(self) -> Engine:
        """The database as it is (for `db upgrade`, which reports what it applies)."""
        from storage.db import make_engine

        return make_engine(self.settings.database_url, self.settings.database_timeout)

    def services(self, edge: SlackEdge | None = None, **options: Any) -> Services:
        """okrbot's services on the database (`edge`: Slack, for commands that ask it)."""
        from bot.app import build_services

        return build_services(self.engine(), self.clock, edge, **options)

    def slack(self) -> SlackEdge:
        """Slack, as the settings reach it (a bot token, or each workspace's install)."""
        from bot.slack_install import edge_for

        return edge_for(self.settings, self.engine())

    def workspace(self, given: str | None, example: str) -> str:
        """`given`, or the only workspace in the database; CommandError listing them
        otherwise (`example`: the command, with `{workspace}` where the id goes)."""
        if given:
            return given
        known = self.services().setup.workspaces()
        if len(known) == 1:
            return known[0]
        if not known:
            raise CommandError("No workspaces yet: import a playbook or use okrbot in Slack first.")
        raise CommandError(
            f"This database holds {len(known)} workspaces ({', '.join(known)}); say which, "
            f"e.g. `okrbot {example.format(workspace=known[0])}`."
        )
