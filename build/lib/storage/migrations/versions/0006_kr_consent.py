"""key-result consent: owners accept assignments, managers approve personal result points

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("key_results") as batch:
        batch.add_column(
            sa.Column("owner_accepted", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("points_approved", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("assigned_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("key_results") as batch:
        for name in (
            "invited_at",
            "approved_by",
            "assigned_by",
            "points_approved",
            "owner_accepted",
        ):
            batch.drop_column(name)
