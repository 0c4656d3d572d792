"""Instances that start together on one PostgreSQL migrate it once, in turn, without failing."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import db, migrate

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"),
        reason="TEST_DATABASE_URL is not set: PostgreSQL leg skipped",
    ),
]


@pytest.mark.slow
async def test_five_instances_migrating_a_fresh_database_at_once_all_start() -> None:
    server = make_url(db.normalise_url(os.environ["TEST_DATABASE_URL"]))
    name = f"mentorbot_race_{uuid.uuid4().hex[:8]}"
    admin = db.create_engine(
        server.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engines = [db.create_engine(url) for _ in range(5)]
    try:
        await asyncio.gather(*(migrate.upgrade(engine) for engine in engines))
        assert await migrate.current_revision(engines[0]) == migrate.head_revision()
    finally:
        for engine in engines:
            await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}"'))
        await admin.dispose()
