"""Migration 0010 puts each person on one side of each programme, keeping what matters.

Before it, someone could be enrolled as both mentor and mentee in one programme. The
migration keeps the side with a pair under way (else one that once started, else the
first enrolled), marks the other as left, deletes nothing, then the schema refuses doubles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from storage import db, migrate
from storage.models import Enrolment, Pair, Person, Programme, Workspace

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


async def test_doubles_keep_the_side_with_a_pair_and_the_other_is_marked_left(
    tmp_path: Path,
) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0009")
        sessions = db.session_factory(engine)
        async with sessions.begin() as session:
            # Only the columns a workspace had at 0009 (0016 adds when the app was removed).
            space_id = await session.scalar(
                sa.insert(Workspace.__table__)
                .values(
                    platform="console", external_id="acme", name="", settings={}, created_at=NOW
                )
                .returning(Workspace.__table__.c.id)
            )
            programme = Programme(
                workspace_id=space_id,
                key="buddies",
                name="Buddies",
                curriculum_key="new-hire-buddy",
                curriculum_version=1,
                cadence_days=7,
                status="active",
                created_at=NOW,
            )
            people = [
                Person(
                    workspace_id=space_id,
                    platform_user_id=handle,
                    display_name=handle,
                    timezone="UTC",
                    created_at=NOW,
                )
                for handle in ("ana", "ben", "cleo", "dev")
            ]
            session.add_all([programme, *people])
            await session.flush()
            ana, ben, cleo, dev = people

            def enrol(person: Person, side: str, status: str = "active") -> None:
                session.add(
                    Enrolment(
                        programme_id=programme.id,
                        person_id=person.id,
                        side=side,
                        status=status,
                        created_at=NOW,
                    )
                )

            enrol(ana, "mentor")  # Ana: mentor first, but her pair is as a mentee
            enrol(ana, "mentee")
            enrol(ben, "mentee")  # Ben: no pair at all, so the first side stays
            enrol(ben, "mentor")
            enrol(cleo, "mentor")  # Cleo mentors Ben… and left as a mentee long ago
            enrol(cleo, "mentee", status="left")
            enrol(dev, "mentor")
            # Only the columns a pair had at 0009 (later migrations add more).
            await session.execute(
                sa.insert(Pair.__table__).values(
                    programme_id=programme.id,
                    mentor_id=cleo.id,
                    mentee_id=ana.id,
                    status="active",
                    reason="",
                    session_index=0,
                    pulses_sent=0,
                    pinned=False,
                    created_at=NOW,
                )
            )

        await migrate.upgrade(engine)
        async with sessions() as session:
            rows = await session.execute(
                select(Person.platform_user_id, Enrolment.side, Enrolment.status)
                .join(Person, Person.id == Enrolment.person_id)
                .order_by(Enrolment.id)
            )
            found = [tuple(row) for row in rows.all()]
            left_at = (  # the two sides the migration closed say when; Cleo's old one didn't
                await session.scalars(select(Enrolment.left_at).where(Enrolment.status == "left"))
            ).all()
        assert found == [
            ("ana", "mentor", "left"),
            ("ana", "mentee", "active"),
            ("ben", "mentee", "active"),
            ("ben", "mentor", "left"),
            ("cleo", "mentor", "active"),
            ("cleo", "mentee", "left"),
            ("dev", "mentor", "active"),
        ]
        assert sorted(moment is not None for moment in left_at) == [False, True, True]
        assert await migrate.is_current(engine)
    finally:
        await engine.dispose()
