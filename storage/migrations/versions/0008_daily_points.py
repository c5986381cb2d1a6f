"""daily points rollups, and a configuration version for caches

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from storage.activities import rollup_rebuild

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_points",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("activity_points", sa.Integer(), nullable=False),
        sa.Column("result_points", sa.Integer(), nullable=False),
        sa.Column("activities", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_daily_points_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", "day", name=op.f("pk_daily_points")),
    )
    op.create_index("ix_daily_points_day", "daily_points", ["workspace_id", "day"])
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("config_version", sa.Integer(), server_default="0", nullable=False)
        )
    connection = op.get_bind()
    for (workspace_id,) in connection.execute(sa.text("SELECT id FROM workspaces")).all():
        rollup_rebuild.rebuild_days(connection, workspace_id)


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("config_version")
    op.drop_index("ix_daily_points_day", table_name="daily_points")
    op.drop_table("daily_points")
