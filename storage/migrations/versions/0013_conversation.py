"""conversation: replies to a coordinator's nudge, words waiting for one more answer

A coordinator's nudge is recorded as a prompt (kind "coordinator_nudge", longer than the
column allowed), so a reply reaches whoever asked; ``held_replies`` keeps what someone
wrote while they say which pairing it is about, or rate the check-in it is the note of.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("prompts", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=12), type_=sa.String(length=40)
        )
    op.create_table(
        "held_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_held_replies_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_held_replies_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_replies")),
    )
    with op.batch_alter_table("held_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_replies_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_held_replies_person_id"), ["person_id"])


def downgrade() -> None:
    with op.batch_alter_table("held_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_replies_person_id"))
        batch_op.drop_index(batch_op.f("ix_held_replies_created_at"))
    op.drop_table("held_replies")
    with op.batch_alter_table("prompts", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=40), type_=sa.String(length=12)
        )
