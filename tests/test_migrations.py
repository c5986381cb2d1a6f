"""The migrations build exactly the schema the models describe, and the installation tables
slack_sdk's stores expect."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from storage.migrate import pending_revisions
from storage.models import Base

SLACK_TABLES = {"slack_bots", "slack_installations", "slack_oauth_states"}


def slack_sdk_metadata() -> MetaData:
    """The tables as slack_sdk's SQLAlchemy stores declare them."""
    metadata = MetaData()
    SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
    SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    return metadata


def differences(db: Engine, metadata: MetaData, tables: set[str] | None) -> list[Any]:
    def ours(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        table_name = name if kind == "table" else getattr(table, "name", None)
        if tables is None:
            return table_name not in SLACK_TABLES
        return table_name in tables

    with db.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": ours}
        )
        return list(compare_metadata(context, metadata))


def test_migrated_database_matches_the_models(db: Engine) -> None:
    assert pending_revisions(db) == []
    assert differences(db, Base.metadata, None) == []


def test_installation_tables_are_the_ones_slack_sdk_reads_and_writes(db: Engine) -> None:
    found = differences(db, slack_sdk_metadata(), SLACK_TABLES)
    # Our one addition: the state column is indexed, as every OAuth redirect looks it up.
    assert [d for d in found if not (d[0] == "remove_index" and "state" in d[1].name)] == []
