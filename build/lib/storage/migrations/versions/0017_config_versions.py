"""workspaces still at configuration version 0 get a random one

Revision 0008 gave every workspace it found version 0. Two databases upgraded that way
would share it, so a process moved from one to the other (a restore) could keep reading
the first one's cached setup; every version written since is random.

Revision ID: 0017
Revises: 0016
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    unset = connection.execute(sa.text("SELECT id FROM workspaces WHERE config_version = 0"))
    for (workspace_id,) in unset.all():
        connection.execute(
            sa.text("UPDATE workspaces SET config_version = :version WHERE id = :id"),
            {"version": secrets.randbelow(2**31 - 1) + 1, "id": workspace_id},
        )


def downgrade() -> None:
    pass  # the versions stay random: nothing reads 0 as special
