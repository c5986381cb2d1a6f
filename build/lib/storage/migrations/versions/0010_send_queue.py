"""scheduled sends planned by one process and claimed by any number of senders

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    op.create_index("ix_scheduled_sends_queue", "scheduled_sends", ["status", "seq", "id"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_sends_queue", table_name="scheduled_sends")
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.drop_column("seq")
