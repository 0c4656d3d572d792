"""outbox: planned rows say so

A planned row (rendered when it is sent, from what is true then) was told apart from a
stored message by its empty payload; a forgotten person's sent messages are emptied too,
so the two could be mistaken. ``planned`` says it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PLANNED_KINDS = (
    "agenda",
    "closing",
    "meet_nudge",
    "pulse",
    "reminder",
    "stall",
    "inactivity_notice",
    "auto_paused",
    "digest",
)
"""The kinds that had a renderer when this migration was written."""


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("planned", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    empty = "CAST(payload AS TEXT) = '{}'"
    kinds = ", ".join(f"'{kind}'" for kind in PLANNED_KINDS)
    op.execute(f"UPDATE outbox SET planned = TRUE WHERE kind IN ({kinds}) AND {empty}")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("planned")
