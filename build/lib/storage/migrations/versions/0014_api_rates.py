"""each API token's request budget, shared by every server process

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("rate_level", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rate_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("rate_at")
        batch.drop_column("rate_level")
