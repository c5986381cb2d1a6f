"""installations for OAuth distribution, and workspaces that were uninstalled

Revision ID: 0009
Revises: 0008

The three slack_* tables are the ones slack_sdk's SQLAlchemy installation and OAuth state
stores read and write, with the same names and columns; a test compares them with the
stores' own definitions.
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = 32
NAME = 200
SCOPES = 1000


def _bot_columns() -> list[sa.Column[object]]:
    """What a bot installation and a full installation both record."""
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(ID), nullable=False),
        sa.Column("app_id", sa.String(ID), nullable=False),
        sa.Column("enterprise_id", sa.String(ID)),
        sa.Column("enterprise_name", sa.String(NAME)),
        sa.Column("team_id", sa.String(ID)),
        sa.Column("team_name", sa.String(NAME)),
        sa.Column("bot_token", sa.String(NAME)),
        sa.Column("bot_id", sa.String(ID)),
        sa.Column("bot_user_id", sa.String(ID)),
        sa.Column("bot_scopes", sa.String(SCOPES)),
        sa.Column("bot_refresh_token", sa.String(NAME)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table("slack_bots", *_bot_columns())
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )
    op.create_table(
        "slack_installations",
        *_bot_columns(),
        sa.Column("enterprise_url", sa.String(NAME)),
        sa.Column("user_id", sa.String(ID), nullable=False),
        sa.Column("user_token", sa.String(NAME)),
        sa.Column("user_scopes", sa.String(SCOPES)),
        sa.Column("user_refresh_token", sa.String(NAME)),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.String(NAME)),
        sa.Column("incoming_webhook_channel", sa.String(NAME)),
        sa.Column("incoming_webhook_channel_id", sa.String(NAME)),
        sa.Column("incoming_webhook_configuration_url", sa.String(NAME)),
        sa.Column("token_type", sa.String(ID)),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(NAME), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_slack_oauth_states_state", "slack_oauth_states", ["state"])
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(sa.Column("uninstalled_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("uninstalled_at")
        batch.drop_column("active")
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_installations")
    op.drop_table("slack_bots")
