"""point limits

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("max_kr_points", sa.Integer(), nullable=False, server_default="10000")
        )
        batch.add_column(
            sa.Column("max_activity_points", sa.Integer(), nullable=False, server_default="1000")
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("max_activity_points")
        batch.drop_column("max_kr_points")
