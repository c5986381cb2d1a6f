"""scheduling

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reaction", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reactions")),
        sa.UniqueConstraint(
            "workspace_id",
            "channel",
            "message_ts",
            "user_id",
            "reaction",
            name=op.f("uq_reactions_workspace_id_channel_message_ts_user_id_reaction"),
        ),
    )
    op.create_table(
        "scheduled_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_sends")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_sends_key")),
    )
    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scheduled_sends_job", ["workspace_id", "job", "recipient"], unique=False
        )
        batch_op.create_index("ix_scheduled_sends_status", ["status", "claimed_at"], unique=False)

    with op.batch_alter_table("kr_contributions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tz_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("away_until", sa.Date(), nullable=True))

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holidays", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("schedules", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("app_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("app_id")
        batch_op.drop_column("schedules")
        batch_op.drop_column("holidays")

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("away_until")
        batch_op.drop_column("tz_checked_at")

    with op.batch_alter_table("kr_contributions", schema=None) as batch_op:
        batch_op.drop_column("created_at")

    with op.batch_alter_table("scheduled_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_sends_status")
        batch_op.drop_index("ix_scheduled_sends_job")

    op.drop_table("scheduled_sends")
    op.drop_table("reactions")
