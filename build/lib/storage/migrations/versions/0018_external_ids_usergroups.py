"""objectives and key results keep the id another OKR tool gave them; teams follow a user group

Imports from Viva Goals give key results okrbot's own `K<n>` refs (the ones people type in
`/checkin`) and find them again on the next import by the export's id. A team set up from a
Slack user group keeps its id, and when its members were last read from Slack. A form or
command handled once keeps the answer it got, for its repeats.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("objectives", "key_results"):
        op.add_column(table, sa.Column("external_id", sa.String(length=64), nullable=True))
    op.add_column("teams", sa.Column("usergroup_id", sa.String(length=32), nullable=True))
    op.add_column("teams", sa.Column("usergroup_synced_at", UTCDateTime(), nullable=True))
    op.add_column("processed_events", sa.Column("answer", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35 and later have it): a batch copy of these
    # tables would drop them, and with them, through their foreign keys, the rows that point
    # at them.
    for table, column in (
        ("processed_events", "answer"),
        ("teams", "usergroup_synced_at"),
        ("teams", "usergroup_id"),
        ("key_results", "external_id"),
        ("objectives", "external_id"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
