"""Applying Alembic migrations from code, without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions not yet applied to the database behind `engine`, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    pending = [rev.revision for rev in script.iterate_revisions("head", current)]
    return list(reversed(pending))


def upgrade(engine: Engine) -> list[str]:
    """Apply every pending migration; return the revisions applied."""
    pending = pending_revisions(engine)
    if pending:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return pending
