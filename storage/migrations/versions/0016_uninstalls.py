"""workspaces the bot was removed from; the team of a Teams channel

When Slack says the app was uninstalled from a workspace (or its bot token revoked), the
workspace records when and why, and nothing is sent there until it is installed again.
A Teams channel's row keeps the team it belongs to, so removing the app from a team
forgets every channel of it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_reason", sa.String(length=200), nullable=True))
    with op.batch_alter_table("teams_conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams_conversations", schema=None) as batch_op:
        batch_op.drop_column("team_id")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("removed_reason")
        batch_op.drop_column("removed_at")
