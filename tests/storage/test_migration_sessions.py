"""Migration 0012: pairs running when sessions began to follow meetings carry on truthfully.

An active pair's pending due time becomes the moment its session falls due; a waiting pair
keeps waiting; and every session the old planner passed silently (no meeting on record)
is recorded as not heard, so sessions met, skipped and not heard add up to the sessions
behind each pair and a pair already on its last session can still complete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from storage import db, migrate
from storage.types import UTCDateTime

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _table(name: str, *columns: tuple[str, sa.types.TypeEngine[object]]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c, t) for c, t in columns))


WHEN = UTCDateTime()
PAIRS = _table(
    "pairs",
    ("id", sa.Integer()),
    ("programme_id", sa.Integer()),
    ("mentor_id", sa.Integer()),
    ("mentee_id", sa.Integer()),
    ("status", sa.String()),
    ("reason", sa.Text()),
    ("session_index", sa.Integer()),
    ("created_at", WHEN),
    ("pinned", sa.Boolean()),
    ("pulses_sent", sa.Integer()),
    ("next_agenda_at", WHEN),
)
MEETINGS = _table(
    "meetings",
    ("pair_id", sa.Integer()),
    ("session_index", sa.Integer()),
    ("outcome", sa.String()),
    ("logged_at", WHEN),
)


async def test_running_pairs_fall_due_as_before_and_silent_sessions_become_not_heard(
    tmp_path: Path,
) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0009")
        async with engine.begin() as conn:
            await conn.execute(
                _table(
                    "workspaces",
                    ("id", sa.Integer()),
                    ("platform", sa.String()),
                    ("external_id", sa.String()),
                    ("name", sa.String()),
                    ("settings", sa.JSON()),
                    ("created_at", WHEN),
                ).insert(),
                [{"id": 1, "platform": "console", "external_id": "acme", "name": "Acme",
                  "settings": {}, "created_at": T0}],
            )  # fmt: skip
            await conn.execute(
                _table(
                    "people",
                    ("id", sa.Integer()),
                    ("workspace_id", sa.Integer()),
                    ("platform_user_id", sa.String()),
                    ("display_name", sa.String()),
                    ("timezone", sa.String()),
                    ("reachable", sa.Boolean()),
                    ("is_minor", sa.Boolean()),
                    ("created_at", WHEN),
                ).insert(),
                [
                    {"id": n, "workspace_id": 1, "platform_user_id": f"U{n}",
                     "display_name": f"P{n}", "timezone": "UTC", "reachable": True,
                     "is_minor": False, "created_at": T0}
                    for n in range(1, 7)
                ],
            )  # fmt: skip
            await conn.execute(
                _table(
                    "programmes",
                    ("id", sa.Integer()),
                    ("workspace_id", sa.Integer()),
                    ("key", sa.String()),
                    ("name", sa.String()),
                    ("curriculum_key", sa.String()),
                    ("curriculum_version", sa.Integer()),
                    ("cadence_days", sa.Integer()),
                    ("status", sa.String()),
                    ("safeguarded", sa.Boolean()),
                    ("settings", sa.JSON()),
                    ("created_at", WHEN),
                    ("conduct", sa.Text()),
                    ("conduct_version", sa.Integer()),
                ).insert(),
                [{"id": 1, "workspace_id": 1, "key": "career", "name": "Career",
                  "curriculum_key": "cross-department-career", "curriculum_version": 1,
                  "cadence_days": 14, "status": "active", "safeguarded": False,
                  "settings": {}, "created_at": T0, "conduct": "", "conduct_version": 1}],
            )  # fmt: skip
            due = T0 + timedelta(days=70)
            pair = {"programme_id": 1, "reason": "", "created_at": T0, "pinned": False,
                    "pulses_sent": 0}  # fmt: skip
            await conn.execute(
                PAIRS.insert(),
                [
                    # The observed case: met 1, then every other session, now on session 6.
                    {**pair, "id": 1, "mentor_id": 1, "mentee_id": 2, "status": "active",
                     "session_index": 5, "next_agenda_at": due},
                    # Waiting: two sessions unmet, nothing armed.
                    {**pair, "id": 2, "mentor_id": 3, "mentee_id": 4, "status": "active",
                     "session_index": 2, "next_agenda_at": None},
                    # Ended by the old clock: twelve sessions "done", seven met.
                    {**pair, "id": 3, "mentor_id": 5, "mentee_id": 6, "status": "ended",
                     "session_index": 12, "next_agenda_at": None},
                ],
            )  # fmt: skip
            met = [(1, 0), (1, 2), (1, 4), (1, 3)]
            met += [(3, i) for i in (0, 1, 3, 5, 7, 9, 11)]
            await conn.execute(
                MEETINGS.insert(),
                [
                    {"pair_id": p, "session_index": i, "outcome": "met", "logged_at": T0}
                    for p, i in met
                ]
                + [{"pair_id": 1, "session_index": 1, "outcome": "not_yet", "logged_at": T0}],
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            pairs = {
                row.id: row
                for row in await conn.execute(
                    sa.select(
                        sa.column("id"),
                        sa.column("session_due_at", WHEN),
                        sa.column("next_agenda_at", WHEN),
                    ).select_from(sa.table("pairs"))
                )
            }
            unheard = sorted(
                (row.pair_id, row.session_index)
                for row in await conn.execute(
                    sa.select(MEETINGS).where(MEETINGS.c.outcome == "not_heard")
                )
            )
    finally:
        await engine.dispose()
    assert (pairs[1].session_due_at, pairs[1].next_agenda_at) == (due, None)
    assert (pairs[2].session_due_at, pairs[2].next_agenda_at) == (None, None)  # still waiting
    assert unheard == [(1, 1), (2, 0), (2, 1)] + [(3, i) for i in (2, 4, 6, 8, 10)]
