"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from storage.migrate import pending_revisions
from storage.models import Base


def test_migrated_database_matches_the_models(db: Engine) -> None:
    assert pending_revisions(db) == []
    with db.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
