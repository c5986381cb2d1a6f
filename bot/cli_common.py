"""What every `okrbot` command shares: the clock, the error it prints, the database."""

from __future__ import annotations

import logging
import re

from bot.clock import Clock, SystemClock
from bot.settings import Settings

log = logging.getLogger("okrbot")


class _ClockHolder:
    """The clock every command uses: the system's, or the one `main` is given (tests)."""

    now_source: Clock = SystemClock()


_clock = _ClockHolder()


class CommandError(Exception):
    """A problem the person running the command can fix; printed as one line, exit status 2."""


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.db import make_engine

    return make_engine(settings.database_url, settings.database_timeout)


TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")


def _which_workspace(settings: Settings, given: str | None, example: str) -> str:
    """`given`, or the only workspace in the database; CommandError listing them otherwise."""
    if given:
        return given
    from bot.app import build_services
    from storage.migrate import upgrade

    engine = _engine(settings)
    upgrade(engine)
    known = build_services(engine, _clock.now_source).setup.workspaces()
    if len(known) == 1:
        return known[0]
    if not known:
        raise CommandError("No workspaces yet: import a playbook or use okrbot in Slack first.")
    raise CommandError(
        f"This database holds {len(known)} workspaces ({', '.join(known)}); say which, "
        f"e.g. `okrbot {example.format(workspace=known[0])}`."
    )
