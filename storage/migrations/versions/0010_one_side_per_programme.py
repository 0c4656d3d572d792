"""enrolments: one side per programme

A person is a mentor or a mentee in a programme, not both. Until now only the same side
twice was refused, so ``join``, ``enroll`` and a CSV import could put someone on both
sides. A partial unique index on (programme, person) over enrolments not left says so in
the schema; a side someone left stays on record, so they may still leave and come back
on the other side.

Existing doubles are resolved first, keeping one side per person and programme and
marking the other as left (``left_at`` now), so nothing is deleted:

1. the side with a pair under way (active or paused) is kept;
2. else the side with a pair that ever started (it has a history in the programme);
3. else the side enrolled first.

If both sides have a pair under way, the first enrolled is kept and the pairs are left as
they are: a migration does not end anyone's pairing behind their back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NOT_LEFT = "status != 'left'"

enrolments = sa.table(
    "enrolments",
    sa.column("id", sa.Integer()),
    sa.column("programme_id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
    sa.column("side", sa.String()),
    sa.column("status", sa.String()),
    sa.column("left_at", storage.types.UTCDateTime(timezone=True)),
)
pairs = sa.table(
    "pairs",
    sa.column("programme_id", sa.Integer()),
    sa.column("mentor_id", sa.Integer()),
    sa.column("mentee_id", sa.Integer()),
    sa.column("status", sa.String()),
)


def _rank(bind: sa.Connection, programme_id: int, person_id: int, side: str) -> int:
    """0: a pair under way on this side; 1: a pair that once started; 2: none."""
    column = pairs.c.mentor_id if side == "mentor" else pairs.c.mentee_id
    statuses = bind.execute(
        sa.select(pairs.c.status).where(pairs.c.programme_id == programme_id, column == person_id)
    ).scalars()
    found = set(statuses)
    if found & {"active", "paused"}:
        return 0
    return 1 if found - {"proposed"} else 2


def upgrade() -> None:
    bind = op.get_bind()
    doubles = bind.execute(
        sa.select(enrolments.c.programme_id, enrolments.c.person_id)
        .where(enrolments.c.status != "left")
        .group_by(enrolments.c.programme_id, enrolments.c.person_id)
        .having(sa.func.count() > 1)
    ).all()
    now = datetime.now(UTC)
    for programme_id, person_id in doubles:
        rows = bind.execute(
            sa.select(enrolments.c.id, enrolments.c.side)
            .where(
                enrolments.c.programme_id == programme_id,
                enrolments.c.person_id == person_id,
                enrolments.c.status != "left",
            )
            .order_by(enrolments.c.id)
        ).all()
        kept = min(rows, key=lambda row: (_rank(bind, programme_id, person_id, row.side), row.id))
        bind.execute(
            sa.update(enrolments)
            .where(enrolments.c.id.in_([row.id for row in rows if row.id != kept.id]))
            .values(status="left", left_at=now)
        )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrolments_one_side",
            ["programme_id", "person_id"],
            unique=True,
            sqlite_where=sa.text(NOT_LEFT),
            postgresql_where=sa.text(NOT_LEFT),
        )


def downgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolments_one_side")
