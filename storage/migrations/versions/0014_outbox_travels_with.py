"""outbox: the key a row's message goes out under

Notices to one person that fall due together go out as one card under the first one's
idempotency key; each of the others records that key just before the send, so a process
recovering a row after a crash asks the platform about the message it travelled in.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("travels_with", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("travels_with")
