"""monthly points rollups, summed from the daily ones

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from storage.activities import rollup_rebuild

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_points",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("activity_points", sa.Integer(), nullable=False),
        sa.Column("result_points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_monthly_points_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", "month", name=op.f("pk_monthly_points")),
    )
    op.create_index("ix_monthly_points_month", "monthly_points", ["workspace_id", "month"])
    connection = op.get_bind()
    for (workspace_id,) in connection.execute(sa.text("SELECT id FROM workspaces")).all():
        rollup_rebuild.add_months(connection, workspace_id)


def downgrade() -> None:
    op.drop_index("ix_monthly_points_month", table_name="monthly_points")
    op.drop_table("monthly_points")
