"""objectives and key results keep the id another OKR tool gave them

Imports from Viva Goals give key results okrbot's own `K<n>` refs (the ones people type in
`/checkin`) and find them again on the next import by the export's id.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("objectives", "key_results"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("objectives", "key_results"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("external_id")
