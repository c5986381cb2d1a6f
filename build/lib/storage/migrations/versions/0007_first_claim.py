"""scheduled sends remember when they were first claimed

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.add_column(sa.Column("first_claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.drop_column("first_claimed_at")
