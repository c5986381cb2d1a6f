"""CRM webhook payloads that could not be mapped, held for a retry

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_hooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.String(32), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("retried_at", UTCDateTime(), nullable=True),
        sa.Column("logged_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_held_hooks_workspace", "held_hooks", ["workspace_id", "logged_at"])


def downgrade() -> None:
    op.drop_index("ix_held_hooks_workspace", "held_hooks")
    op.drop_table("held_hooks")
