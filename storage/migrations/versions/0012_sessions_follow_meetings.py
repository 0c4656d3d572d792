"""pairs: a session falls due, then passes; every passed session has an outcome

Sessions follow meetings. ``next_agenda_at`` used to be the moment a session fell due, and
the planner moved the pair on right then, so a meeting logged a little later counted for
the next session. Now a session falls due at ``session_due_at`` (the pair is asked whether
they met) and passes unheard at ``next_agenda_at``, a grace period later, recorded as a
``not_heard`` meeting row.

Data: an active pair's pending due time moves to ``session_due_at``; a waiting pair (both
empty) keeps waiting. Every session a pair already passed with nothing closing it (no
``met`` row: the old planner marched on silently) gets a ``not_heard`` row, so the counts
of met, skipped and not heard add up to the sessions passed and such a pair can complete.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-11
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CLOSING = ("met", "skipped", "not_heard")


def upgrade() -> None:
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_due_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_pairs_due_session", ["programme_id", "status", "session_due_at"], unique=False
        )
    pairs = sa.table(
        "pairs",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("session_index", sa.Integer),
        sa.column("session_due_at", storage.types.UTCDateTime()),
        sa.column("next_agenda_at", storage.types.UTCDateTime()),
    )
    op.execute(
        sa.update(pairs)
        .where(pairs.c.status == "active", pairs.c.next_agenda_at.is_not(None))
        .values(session_due_at=pairs.c.next_agenda_at, next_agenda_at=None)
    )
    _backfill_sessions_passed_unheard(pairs)


def _backfill_sessions_passed_unheard(pairs: sa.TableClause) -> None:
    bind = op.get_bind()
    meetings = sa.table(
        "meetings",
        sa.column("pair_id", sa.Integer),
        sa.column("session_index", sa.Integer),
        sa.column("outcome", sa.String),
        sa.column("logged_by_id", sa.Integer),
        sa.column("logged_at", storage.types.UTCDateTime()),
    )
    closed = {
        (pair_id, index)
        for pair_id, index in bind.execute(
            sa.select(meetings.c.pair_id, meetings.c.session_index).where(
                meetings.c.outcome.in_(CLOSING)
            )
        )
    }
    now = datetime.now(UTC)
    missing = [
        {
            "pair_id": pair_id,
            "session_index": index,
            "outcome": "not_heard",
            "logged_by_id": None,
            "logged_at": now,
        }
        for pair_id, reached in bind.execute(
            sa.select(pairs.c.id, pairs.c.session_index).where(pairs.c.status != "proposed")
        )
        for index in range(reached or 0)
        if (pair_id, index) not in closed
    ]
    if missing:
        bind.execute(sa.insert(meetings), missing)


def downgrade() -> None:
    pairs = sa.table(
        "pairs",
        sa.column("status", sa.String),
        sa.column("session_due_at", storage.types.UTCDateTime()),
        sa.column("next_agenda_at", storage.types.UTCDateTime()),
    )
    op.execute(
        sa.update(pairs)
        .where(pairs.c.status == "active", pairs.c.session_due_at.is_not(None))
        .values(next_agenda_at=pairs.c.session_due_at)
    )
    op.execute("DELETE FROM meetings WHERE outcome IN ('skipped', 'not_heard')")
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_pairs_due_session")
        batch_op.drop_column("session_due_at")
